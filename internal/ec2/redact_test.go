package ec2

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/smithy-go"
)

// TestClassifyRedactsCredentialsFromMessages: what AWS echoes in an error
// message (the canonical request of a signature mismatch, with its session
// token; an access key id) never reaches the classified error, which logs,
// reports and journals quote.
func TestClassifyRedactsCredentialsFromMessages(t *testing.T) {
	const token, keyID = "FwoGZXIvYXdzEBYaDHsessiontoken/+=", "ASIAGAMEDAYTEST00001"
	sigMismatch := "The request signature we calculated does not match the signature you provided. Check your AWS Secret " +
		"Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this " +
		"request should have been\n'POST\n/\n\nhost:sts.amazonaws.com\nx-amz-security-token:" + token +
		"\n\nhost;x-amz-security-token\nabc'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n20261122T000000Z'"
	for name, err := range map[string]error{
		"API error":       &smithy.GenericAPIError{Code: "SignatureDoesNotMatch", Message: sigMismatch},
		"key id":          &smithy.GenericAPIError{Code: "InvalidAccessKeyId", Message: "The AWS Access Key Id " + keyID + " does not exist"},
		"token in a URL":  errors.New(`Post "https://ec2.example/?X-Amz-Security-Token=` + token + `&a=b": EOF`),
		"token in header": errors.New("x-amz-security-token: " + token),
	} {
		t.Run(name, func(t *testing.T) {
			got := classify("get caller identity", "sts:GetCallerIdentity", err).Error()
			for _, secret := range []string{token, keyID, "FwoGZXIvYXdz"} {
				if strings.Contains(got, secret) {
					t.Errorf("classified error %q keeps %q", got, secret)
				}
			}
		})
	}
	got := classify("x", "sts:GetCallerIdentity", &smithy.GenericAPIError{Code: "SignatureDoesNotMatch", Message: sigMismatch}).Error()
	if !strings.Contains(got, "SignatureDoesNotMatch: The request signature we calculated does not match") || !strings.Contains(got, "hint:") {
		t.Errorf("classified error %q lost the code, the message or the hint", got)
	}
}

// TestSDKNeverLogsRequests: the SDK's client log mode stays off, for real
// endpoints too, so no request, signature or response (with credentials in
// them) is ever written by the SDK, whatever --log-level says.
func TestSDKNeverLogsRequests(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAGAMEDAYCANARY001")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "canary-secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	// A CA bundle makes LoadConfig fail (NewHTTPClient is not an
	// *awshttp.BuildableClient, which the SDK needs to add the CAs to):
	// another problem than this test's.
	t.Setenv("AWS_CA_BUNDLE", "")
	for _, endpoint := range []string{"https://ec2.us-east-1.amazonaws.com", "http://127.0.0.1:9"} {
		for _, role := range []string{"", "arn:aws:iam::123456789012:role/gameday"} {
			cfg, err := LoadConfig(t.Context(), Session{Region: "us-east-1", EndpointURL: endpoint, RoleARN: role})
			if err != nil {
				t.Fatal(err)
			}
			if cfg.ClientLogMode != 0 {
				t.Errorf("%s (role %q): client log mode %v, want none", endpoint, role, cfg.ClientLogMode)
			}
		}
	}
}
