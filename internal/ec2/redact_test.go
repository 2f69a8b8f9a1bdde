package ec2

import (
	"errors"
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
