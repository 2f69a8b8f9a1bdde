package ec2

import (
	"os"
	"os/user"
	"regexp"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// roleDuration is how long assumed-role credentials last. The credentials
// cache renews them before they expire, so a long game day outlives them;
// an hour keeps a leaked session short-lived.
const roleDuration = time.Hour

// assumeRoleCredentials returns credentials of roleARN, obtained with the
// base credentials of cfg from STS at cfg's endpoint (the simulator's STS
// for a loopback endpoint), and cached until shortly before they expire.
func assumeRoleCredentials(base aws.Config, roleARN string) aws.CredentialsProvider {
	client := sts.NewFromConfig(base)
	provider := stscreds.NewAssumeRoleProvider(client, roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = RoleSessionName()
		o.Duration = roleDuration
	})
	return aws.NewCredentialsCache(provider)
}

// notSessionNameChar is what STS refuses in a role session name.
var notSessionNameChar = regexp.MustCompile(`[^\w+=,.@-]`)

// RoleSessionName is "gameday-" and the local user (or host) name, so that
// CloudTrail shows who ran the game day. STS allows 2 to 64 characters of
// [\w+=,.@-]; anything else becomes "-".
func RoleSessionName() string {
	who := ""
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	if who == "" {
		who = os.Getenv("USER")
	}
	if who == "" {
		who, _ = os.Hostname()
	}
	if who == "" {
		who = "unknown"
	}
	name := "gameday-" + notSessionNameChar.ReplaceAllString(who, "-")
	return name[:min(len(name), 64)]
}
