package ec2api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// stsClient signs with creds (awsConfig's dummy keys when nil).
func (e *env) stsClient(creds aws.CredentialsProvider) *sts.Client {
	cfg := awsConfig()
	if creds != nil {
		cfg.Credentials = creds
	}
	return sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(e.server.URL()) })
}

func (e *env) assumeRole(t *testing.T, arn, session string) (*sts.AssumeRoleOutput, error) {
	t.Helper()
	return e.stsClient(nil).AssumeRole(ctx(t), &sts.AssumeRoleInput{
		RoleArn: aws.String(arn), RoleSessionName: aws.String(session), DurationSeconds: aws.Int32(900),
	})
}

func TestAssumeRoleThenCallerIdentityIsTheRole(t *testing.T) {
	e := newEnv(t, false)
	out, err := e.assumeRole(t, "arn:aws:iam::"+testAccount+":role/ops/gameday-runner", "gameday-alice")
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	if !strings.HasPrefix(aws.ToString(c.AccessKeyId), "ASIA") || len(aws.ToString(c.AccessKeyId)) != 20 ||
		aws.ToString(c.SecretAccessKey) == "" || aws.ToString(c.SessionToken) == "" {
		t.Errorf("credentials %q / secret set %v / token set %v: want an ASIA key of 20 characters, a secret and a token",
			aws.ToString(c.AccessKeyId), c.SecretAccessKey != nil, c.SessionToken != nil)
	}
	if left := time.Until(aws.ToTime(c.Expiration)); left < 14*time.Minute || left > 15*time.Minute {
		t.Errorf("credentials expire in %v, want the 900 s asked for", left)
	}
	wantARN := "arn:aws:sts::" + testAccount + ":assumed-role/gameday-runner/gameday-alice"
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != wantARN {
		t.Errorf("AssumedRoleUser.Arn = %q, want %q (the role's name without its path)", got, wantARN)
	}
	roleID := aws.ToString(out.AssumedRoleUser.AssumedRoleId)
	if !strings.HasPrefix(roleID, "AROA") || !strings.HasSuffix(roleID, ":gameday-alice") {
		t.Errorf("AssumedRoleId = %q, want AROA...:gameday-alice", roleID)
	}

	assumed := credentials.NewStaticCredentialsProvider(aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken))
	id, err := e.stsClient(assumed).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Arn) != wantARN || aws.ToString(id.UserId) != roleID || aws.ToString(id.Account) != testAccount {
		t.Errorf("GetCallerIdentity with the role's keys = %s %s %s, want %s %s %s",
			aws.ToString(id.Arn), aws.ToString(id.UserId), aws.ToString(id.Account), wantARN, roleID, testAccount)
	}
	// The base credentials are still the simulator's user.
	base, err := e.stsClient(nil).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(base.Arn) != "arn:aws:iam::"+testAccount+":user/gameday-sim" {
		t.Errorf("GetCallerIdentity with the base keys = %v, %v; want the simulator's user", aws.ToString(base.Arn), err)
	}
	if codes := auditCodes(e.sim, "AssumeRole"); codes[""] != 1 || len(codes) != 1 {
		t.Errorf("AssumeRole audit codes %v, want one success", codes)
	}
}

func TestAssumeRoleIsRefusedForAnotherAccount(t *testing.T) {
	e := newEnv(t, false)
	arn := "arn:aws:iam::111122223333:role/gameday"
	_, err := e.assumeRole(t, arn, "gameday-bob")
	wantAPIError(t, err, "AccessDenied",
		"User: arn:aws:iam::"+testAccount+":user/gameday-sim is not authorized to perform: sts:AssumeRole on resource: "+arn)
	wantStatus(t, err, http.StatusForbidden)
	if codes := auditCodes(e.sim, "AssumeRole"); codes["AccessDenied"] != 1 {
		t.Errorf("AssumeRole audit codes %v, want the refusal audited", codes)
	}
}

func TestAssumeRoleValidation(t *testing.T) {
	role := "arn:aws:iam::" + testAccount + ":role/gameday"
	tests := []struct {
		name    string
		in      sts.AssumeRoleInput
		message string
	}{
		{"malformed ARN", sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::12:user/x"), RoleSessionName: aws.String("ok")},
			"is not a valid role ARN"},
		{"session name too short", sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("x")},
			"'roleSessionName' failed to satisfy constraint"},
		{"session name with a space", sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("a b")},
			"'roleSessionName' failed to satisfy constraint"},
		{"duration too short", sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("ok"), DurationSeconds: aws.Int32(60)},
			"'durationSeconds' failed to satisfy constraint"},
	}
	e := newEnv(t, false)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.stsClient(nil).AssumeRole(ctx(t), &tt.in)
			code, message := apiErrorOf(err)
			if code != "ValidationError" || !strings.Contains(message, tt.message) {
				t.Errorf("AssumeRole = %s: %s; want ValidationError containing %q", code, message, tt.message)
			}
			wantStatus(t, err, http.StatusBadRequest)
		})
	}
}

func TestUnknownAccessKeyIsTheSimulatorUser(t *testing.T) {
	e := newEnv(t, false)
	stranger := credentials.NewStaticCredentialsProvider("ASIANEVERISSUED0000", "secret", "token")
	id, err := e.stsClient(stranger).GetCallerIdentity(ctx(t), &sts.GetCallerIdentityInput{})
	if err != nil || !strings.HasSuffix(aws.ToString(id.Arn), ":user/gameday-sim") {
		t.Errorf("GetCallerIdentity = %v, %v; want the simulator's user for a key it never issued", aws.ToString(id.Arn), err)
	}
}
