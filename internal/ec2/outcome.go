package ec2

import (
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// outcome is what a mutating call's result says about the instances.
type outcome int

const (
	// acted: the service answered success.
	acted outcome = iota
	// notActed: the service said it did nothing and asked to be called
	// again later (throttling, load shedding), or the request never left
	// this machine. Re-sending cannot act twice.
	notActed
	// unknown: the request may have reached EC2 and no answer (or no
	// readable answer) came back. Re-sending could act twice.
	unknown
	// refused: the service answered that it will not do it (bad state,
	// unknown id, no permission), or the request could not be built.
	refused
)

func (o outcome) String() string {
	return [...]string{"acted", "not acted", "unknown", "refused"}[o]
}

// throttleCodes are the codes with which AWS says "too fast, nothing done".
var throttleCodes = map[string]bool{
	"RequestLimitExceeded":     true, // EC2
	"Throttling":               true, // STS and other query services
	"ThrottlingException":      true,
	"RequestThrottled":         true,
	"TooManyRequestsException": true,
}

// unavailableCodes answer HTTP 503 when EC2 sheds load. Decision: a 503
// with one of these codes is taken as "not acted" and retried. EC2 sends
// it from its front end before a request is dispatched ("The server is
// overloaded and can't handle the request"), the SDK's and boto3's
// retryers treat it like throttling, and the simulator's injected 503 acts
// on nothing. A 500 InternalError, or a 502/504 from anything in between,
// may come after the request was dispatched: those are unknown.
var unavailableCodes = map[string]bool{
	"Unavailable":        true,
	"ServiceUnavailable": true,
}

// outcomeOf sorts a mutating call's error and says why, for the logs.
func outcomeOf(err error) (outcome, string) {
	if err == nil {
		return acted, ""
	}
	if failedToAssumeRole(err) {
		return refused, "the role's credentials could not be obtained; the call was not sent"
	}
	status := httpStatus(err)
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return outcomeOfCode(apiErr.ErrorCode(), status)
	}
	if status != 0 {
		// An answer came whose body could not be read.
		if status >= 400 && status < 500 {
			return refused, fmt.Sprintf("HTTP %d without a readable error", status)
		}
		return unknown, fmt.Sprintf("HTTP %d with an unreadable body", status)
	}
	var sendErr *smithyhttp.RequestSendError
	if errors.As(err, &sendErr) {
		if neverConnected(err) {
			return notActed, "could not connect: " + sendErr.Err.Error()
		}
		return unknown, "no answer: " + sendErr.Err.Error()
	}
	return refused, "the request was not sent: " + err.Error()
}

// outcomeOfCode sorts an error answer by its code and HTTP status.
func outcomeOfCode(code string, status int) (outcome, string) {
	reason := fmt.Sprintf("%s (HTTP %d)", code, status)
	switch {
	case throttleCodes[code]:
		return notActed, "throttled: " + reason
	case status == http.StatusServiceUnavailable && unavailableCodes[code]:
		return notActed, "service unavailable: " + reason
	case status >= 500, code == "InternalError", code == "InternalFailure":
		return unknown, "server error: " + reason
	}
	return refused, reason
}

// httpStatus is the HTTP status of the answer err carries, 0 if none came.
func httpStatus(err error) int {
	var resp *smithyhttp.ResponseError
	if errors.As(err, &resp) {
		return resp.HTTPStatusCode()
	}
	return 0
}

// neverConnected reports a failure to open the connection (refused, no
// route, DNS): no byte of the request left this machine.
func neverConnected(err error) bool {
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}
