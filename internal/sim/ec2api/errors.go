package ec2api

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"gameday/internal/sim"
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

func errUnauthorized() *apiError {
	return &apiError{
		Status:  http.StatusForbidden,
		Code:    "UnauthorizedOperation",
		Message: "You are not authorized to perform this operation.",
	}
}

func missingParameter(name string) *apiError {
	return badRequest("MissingParameter", "The request must contain the parameter %s", name)
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

// errIncorrectState words IncorrectInstanceState as EC2 does for stop and
// start (ec2-api.md). Decision: EC2's wording for a reboot is not
// recorded; the start message's pattern is reused.
func errIncorrectState(e *sim.StateError) *apiError {
	const code = "IncorrectInstanceState"
	switch e.Op {
	case sim.OpStop:
		return badRequest(code, "Instance '%s' cannot be stopped as it has never reached the 'running' state.", e.ID)
	case sim.OpStart:
		return badRequest(code, "The instance '%s' is not in a state from which it can be started.", e.ID)
	}
	return badRequest(code, "The instance '%s' is not in a state from which it can be rebooted.", e.ID)
}

// errFromSim translates what the simulator refused into EC2's error.
func errFromSim(err error) *apiError {
	var notFound *sim.NotFoundError
	var state *sim.StateError
	var tags *sim.TagLimitError
	switch {
	case errors.As(err, &notFound):
		return errInstancesNotFound(notFound.IDs)
	case errors.As(err, &state):
		return errIncorrectState(state)
	case errors.As(err, &tags):
		// Decision: EC2's wording is not recorded in ec2-api.md.
		return badRequest("TagLimitExceeded", "The maximum number of tags (%d) for resource '%s' has been reached.", sim.MaxTags, tags.ID)
	}
	return errInternal(err)
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

// queryErrorResponse is the awsquery error envelope STS and ELB use.
type queryErrorResponse struct {
	XMLName   xml.Name       `xml:"ErrorResponse"`
	Xmlns     string         `xml:"xmlns,attr"`
	Error     queryErrorBody `xml:"Error"`
	RequestID string         `xml:"RequestId"`
}

type queryErrorBody struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// errorEnvelope wraps e in the envelope of the protocol the action speaks.
func errorEnvelope(proto protocol, e *apiError, requestID string) any {
	if proto == protoSTS || proto == protoELB {
		kind := "Sender"
		if e.Status >= 500 {
			kind = "Receiver"
		}
		ns := stsNamespace
		if proto == protoELB {
			ns = elbNamespace
		}
		return queryErrorResponse{
			Xmlns:     ns,
			Error:     queryErrorBody{Type: kind, Code: e.Code, Message: e.Message},
			RequestID: requestID,
		}
	}
	return ec2ErrorResponse{
		Errors:    []ec2ErrorBody{{Code: e.Code, Message: e.Message}},
		RequestID: requestID,
	}
}
