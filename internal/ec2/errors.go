package ec2

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"syscall"

	"github.com/aws/smithy-go"
)

// APIError is an AWS call that failed, classified once so every caller can
// report the same code and hint.
type APIError struct {
	// Op describes the call, e.g. "reboot 7 instances".
	Op string
	// Action is the IAM action behind the call, e.g. "ec2:RebootInstances".
	Action string
	// Code is the AWS error code ("" when the call never got an answer).
	Code string
	// Message is the service's message, or the transport error.
	Message string
	// Hint tells the operator what to do about it.
	Hint string
	Err  error
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ec2: %s: ", e.Op)
	if e.Code != "" {
		fmt.Fprintf(&b, "%s: ", e.Code)
	}
	b.WriteString(e.Message)
	if e.Hint != "" {
		fmt.Fprintf(&b, " (hint: %s)", e.Hint)
	}
	return b.String()
}

func (e *APIError) Unwrap() error { return e.Err }

// classify wraps err from an SDK call as an *APIError with a hint.
func classify(op, action string, err error) error {
	if err == nil {
		return nil
	}
	if failedToAssumeRole(err) {
		// The call never went out: its credentials could not be obtained.
		op, action = op+", assuming the role", "sts:AssumeRole"
	}
	e := &APIError{Op: op, Action: action, Err: err, Message: redactMessage(err.Error())}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		e.Code = apiErr.ErrorCode()
		e.Message = redactMessage(apiErr.ErrorMessage())
		e.Hint = hintForCode(e.Code, action)
		if strings.Contains(e.Message, "scoped to a valid region") {
			e.Hint = "the endpoint does not serve this region; check --region, target.region(s) and --endpoint-url"
		}
		return e
	}
	e.Hint = hintForTransport(err)
	return e
}

// What an AWS error message may carry that must not reach logs, reports
// and journals, which quote the message. A SignatureDoesNotMatch echoes the
// canonical request AWS expected, signed headers and all, and so the
// session token (X-Amz-Security-Token); S3-style errors name the access key
// id. The secret key itself never travels, so it cannot come back.
var (
	echoedRequest = regexp.MustCompile(`(?s)\s*The (Canonical String for this request|String-to-Sign) should have been.*`)
	securityToken = regexp.MustCompile(`(?i)(x-amz-security-token\s*[:=]\s*)[^\s&'"<]+`)
	accessKeyID   = regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`)
)

// redactMessage removes session tokens and access key ids from an error
// message, and the request AWS echoes after a signature mismatch.
func redactMessage(msg string) string {
	msg = echoedRequest.ReplaceAllString(msg, " (the request AWS echoed back is left out: it carries the session token)")
	msg = securityToken.ReplaceAllString(msg, "${1}REDACTED")
	return accessKeyID.ReplaceAllString(msg, "${1}REDACTED")
}

// failedToAssumeRole reports whether err comes from the STS AssumeRole call
// that fetches a role's credentials (--role-arn), somewhere in its chain.
func failedToAssumeRole(err error) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if op, ok := err.(*smithy.OperationError); ok && op.OperationName == "AssumeRole" {
			return true
		}
	}
	return false
}

func hintForCode(code, action string) string {
	switch code {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation":
		if action == "sts:AssumeRole" {
			return "the base credentials may not assume the role: allow sts:AssumeRole on it in their IAM policy, " +
				"trust them in the role's trust policy, and check the role is in the intended account"
		}
		return fmt.Sprintf("the caller lacks the IAM permission %s; grant it to the role or user gameday runs as", action)
	case "AuthFailure", "InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException":
		return "AWS rejected the credentials; check AWS_PROFILE / --profile and that the keys belong to this account"
	case "ExpiredToken", "ExpiredTokenException", "RequestExpired":
		return "the credentials have expired; refresh them (for SSO: aws sso login)"
	case "RequestLimitExceeded", "Throttling", "ThrottlingException":
		return "EC2 throttled this account; wait a minute and retry, or use fewer, larger waves"
	case "InvalidInstanceID.NotFound":
		return "an instance no longer exists or is in another region or account; re-run to re-read the fleet"
	case "InvalidInstanceID.Malformed":
		return "an instance id is not of the form i-0123456789abcdef0"
	case "IncorrectInstanceState":
		return "an instance is not in a state that allows this action; re-run to re-read the fleet"
	case "InternalError", "InternalFailure", "Unavailable", "ServiceUnavailable":
		return "EC2 had an internal error; retry later"
	case "DryRunOperation":
		return "this is the success answer of a DryRun call and should have been handled; please report it"
	}
	return ""
}

func hintForTransport(err error) string {
	msg := err.Error()
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "nothing listens at the endpoint; is the simulator (gameday sim serve) running at that address?"
	case strings.Contains(msg, "no EC2 IMDS role found"), strings.Contains(msg, "failed to retrieve credentials"),
		strings.Contains(msg, "failed to refresh cached credentials"):
		return "no AWS credentials found; set AWS_PROFILE or --profile, or export AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
	case strings.Contains(msg, "retry quota exceeded"):
		return "too many retries against a throttling or failing endpoint; retry later"
	case strings.Contains(msg, "context canceled"):
		return ""
	}
	return "the endpoint could not be reached; check the network, --region and --endpoint-url"
}
