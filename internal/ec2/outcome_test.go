package ec2

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// sdkAnswer wraps err the way the SDK reports an HTTP answer of status.
func sdkAnswer(status int, err error) error {
	resp := &smithyhttp.Response{Response: &http.Response{StatusCode: status}}
	return &smithy.OperationError{ServiceID: "EC2", OperationName: "RebootInstances",
		Err: &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{Response: resp, Err: err}}}
}

// sdkSendFailure wraps err the way the SDK reports a request that got no
// answer.
func sdkSendFailure(err error) error {
	return &smithy.OperationError{ServiceID: "EC2", OperationName: "RebootInstances",
		Err: &smithyhttp.RequestSendError{Err: err}}
}

func apiCode(code string) error { return &smithy.GenericAPIError{Code: code, Message: "m"} }

func TestOutcomeOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want outcome
	}{
		{"success", nil, acted},
		{"throttled", sdkAnswer(503, apiCode("RequestLimitExceeded")), notActed},
		{"STS throttling", sdkAnswer(400, apiCode("Throttling")), notActed},
		{"unavailable 503", sdkAnswer(503, apiCode("Unavailable")), notActed},
		{"internal error 500", sdkAnswer(500, apiCode("InternalError")), unknown},
		{"bad gateway 502", sdkAnswer(502, apiCode("BadGateway")), unknown},
		{"unknown code on a 503", sdkAnswer(503, apiCode("Whatever")), unknown},
		{"gateway timeout without a body", sdkAnswer(504, errors.New("unexpected EOF")), unknown},
		{"200 with an unreadable body", sdkAnswer(200, &smithy.DeserializationError{Err: io.ErrUnexpectedEOF}), unknown},
		{"unreadable 400", sdkAnswer(400, &smithy.DeserializationError{Err: io.ErrUnexpectedEOF}), refused},
		{"incorrect state", sdkAnswer(400, apiCode("IncorrectInstanceState")), refused},
		{"unauthorized", sdkAnswer(403, apiCode("UnauthorizedOperation")), refused},
		{"connection reset", sdkSendFailure(&net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}), unknown},
		{"EOF", sdkSendFailure(io.EOF), unknown},
		{"timeout", sdkSendFailure(context.DeadlineExceeded), unknown},
		{"connection refused", sdkSendFailure(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), notActed},
		{"no such host", sdkSendFailure(&net.DNSError{Err: "no such host", Name: "ec2.example"}), notActed},
		{"invalid parameters", &smithy.OperationError{Err: errors.New("validation failed")}, refused},
		{"assume role denied", &smithy.OperationError{OperationName: "RebootInstances",
			Err: &smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRole", Err: sdkSendFailure(io.EOF)}}, refused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, reason := outcomeOf(tt.err)
			if got != tt.want {
				t.Errorf("outcomeOf = %s (%s), want %s", got, reason, tt.want)
			}
			if tt.err != nil && reason == "" {
				t.Error("no reason given")
			}
		})
	}
}
