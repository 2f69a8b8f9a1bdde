package ec2api

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
)

// apiError is an error as EC2 reports it: an HTTP status, a code clients
// match on (smithy.APIError.ErrorCode) and a human message. Messages copy
// EC2's wording, typos included, where ec2-api.md records it.
type apiError struct {
	Status  int
	Code    string
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// errorCode is "" for a nil error, for the audit log.
func errorCode(e *apiError) string {
	if e == nil {
		return ""
	}
	return e.Code
}

func badRequest(code, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, args...)}
}

func invalidValue(format string, args ...any) *apiError {
	return badRequest("InvalidParameterValue", format, args...)
}

func errDryRun() *apiError {
	return &apiError{
		Status:  http.StatusPreconditionFailed,
		Code:    "DryRunOperation",
		Message: "Request would have succeeded, but DryRun flag is set.",
	}
}

func errInternal(err error) *apiError {
	return &apiError{Status: http.StatusInternalServerError, Code: "InternalError", Message: err.Error()}
}

func errMalformedID(id string) *apiError {
	return badRequest("InvalidInstanceID.Malformed", "Invalid id: %q", id)
}

func errInstancesNotFound(ids []string) *apiError {
	if len(ids) == 1 {
		return badRequest("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", ids[0])
	}
	return badRequest("InvalidInstanceID.NotFound", "The instance IDs '%s' do not exist", strings.Join(ids, ", "))
}

// ec2ErrorResponse is EC2's error envelope. RequestID is spelled exactly so:
// the Go SDK's parser is case-sensitive here.
type ec2ErrorResponse struct {
	XMLName   xml.Name       `xml:"Response"`
	Errors    []ec2ErrorBody `xml:"Errors>Error"`
	RequestID string         `xml:"RequestID"`
}

type ec2ErrorBody struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// stsErrorResponse is the awsquery error envelope STS uses.
type stsErrorResponse struct {
	XMLName   xml.Name     `xml:"ErrorResponse"`
	Xmlns     string       `xml:"xmlns,attr"`
	Error     stsErrorBody `xml:"Error"`
	RequestID string       `xml:"RequestId"`
}

type stsErrorBody struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// errorEnvelope wraps e in the envelope of the protocol the action speaks.
func errorEnvelope(proto protocol, e *apiError, requestID string) any {
	if proto == protoSTS {
		kind := "Sender"
		if e.Status >= 500 {
			kind = "Receiver"
		}
		return stsErrorResponse{
			Xmlns:     stsNamespace,
			Error:     stsErrorBody{Type: kind, Code: e.Code, Message: e.Message},
			RequestID: requestID,
		}
	}
	return ec2ErrorResponse{
		Errors:    []ec2ErrorBody{{Code: e.Code, Message: e.Message}},
		RequestID: requestID,
	}
}
