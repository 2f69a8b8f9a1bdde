package ec2

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// SimulatorAccessKeyID is the dummy access key used for loopback endpoints.
// It is deliberately recognisable so nobody mistakes it for a real key.
const SimulatorAccessKeyID = "GAMEDAYSIMULATOR"

// MaxBatchSize bounds Session.BatchSize. EC2 documents no cap on the ids of
// a Reboot, Stop or Start call, but caps TerminateInstances and CreateTags
// at 1000; a larger call would also outrun a resource bucket's burst.
const MaxBatchSize = 1000

// Session describes where API calls go and as whom.
type Session struct {
	// Region is the AWS region; required.
	Region string
	// Profile selects a shared-config profile (ignored for loopback endpoints).
	Profile string
	// EndpointURL overrides the EC2 and STS endpoints, e.g. a simulator.
	// Empty means the environment (AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL)
	// or AWS itself.
	EndpointURL string
	// EndpointURLs overrides EndpointURL per region, for a run across
	// regions served by different endpoints (two simulators, say).
	EndpointURLs map[string]string
	// RoleARN, when set, is assumed through STS AssumeRole with the base
	// credentials, and every call is made as that role.
	RoleARN string
	// BatchSize is how many instance ids go in one mutating call; 0 means
	// DefaultBatchSize.
	BatchSize int
}

// roleARNPattern is an IAM role ARN: arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME.
var roleARNPattern = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$`)

// Validate checks the fields a flag could get wrong, before any call.
func (s Session) Validate() error {
	if s.BatchSize < 0 || s.BatchSize > MaxBatchSize {
		return fmt.Errorf("batch size %d: want 1 to %d instance ids per call", s.BatchSize, MaxBatchSize)
	}
	if s.RoleARN != "" && !roleARNPattern.MatchString(s.RoleARN) {
		return fmt.Errorf("role ARN %q: want arn:aws:iam::ACCOUNT:role/NAME", s.RoleARN)
	}
	for region, endpoint := range s.EndpointURLs {
		if err := checkEndpoint(endpoint); err != nil {
			return fmt.Errorf("endpoint for %s: %w", region, err)
		}
	}
	return nil
}

// checkEndpoint accepts an absolute http or https URL with a host.
func checkEndpoint(raw string) error {
	u, err := url.ParseRequestURI(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("%q is not an http(s) URL", raw)
	}
	return nil
}

// ResolveEndpoint returns the endpoint to use: the region's own, the
// explicit default, or the standard environment variables the Go SDK would
// honour anyway. Reading them here keeps one place deciding whether
// credentials may be real.
func (s Session) ResolveEndpoint() string {
	if v := s.EndpointURLs[s.Region]; v != "" {
		return v
	}
	if s.EndpointURL != "" {
		return s.EndpointURL
	}
	if v := os.Getenv("AWS_ENDPOINT_URL_EC2"); v != "" {
		return v
	}
	return os.Getenv("AWS_ENDPOINT_URL")
}

// IsLoopbackEndpoint reports whether raw is an http(s) URL whose host is a
// loopback address or "localhost".
func IsLoopbackEndpoint(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// LoadConfig builds the SDK configuration for a session.
//
// A loopback endpoint is a simulator: it gets static dummy credentials and no
// shared config, so a user's real keys never sign a request to a local
// process and nothing probes the instance metadata service. Any other
// endpoint uses the default credential chain (environment, profiles, SSO).
// With a RoleARN those credentials (dummy or real) only sign the AssumeRole
// call, and the role's temporary credentials sign everything else.
func LoadConfig(ctx context.Context, s Session) (aws.Config, error) {
	return loadConfig(ctx, s, nil)
}

// loadConfig is LoadConfig with every request, AssumeRole's included,
// sent through client; nil means the SDK's own client, wrapped as
// NewHTTPClient wraps it.
func loadConfig(ctx context.Context, s Session, client aws.HTTPClient) (aws.Config, error) {
	if s.Region == "" {
		return aws.Config{}, fmt.Errorf("ec2: no region: set target.region in the scenario, --region, or AWS_REGION")
	}
	if err := s.Validate(); err != nil {
		return aws.Config{}, fmt.Errorf("ec2: %w", err)
	}
	endpoint := s.ResolveEndpoint()
	if endpoint != "" {
		if _, err := url.ParseRequestURI(endpoint); err != nil {
			return aws.Config{}, fmt.Errorf("ec2: endpoint %q is not a URL: %w", endpoint, err)
		}
	}
	cfg, err := baseConfig(ctx, s, endpoint, client)
	if err != nil {
		return aws.Config{}, err
	}
	if s.RoleARN != "" {
		cfg.Credentials = assumeRoleCredentials(cfg, s.RoleARN)
	}
	return cfg, nil
}

// baseConfig is the configuration before any role is assumed.
func baseConfig(ctx context.Context, s Session, endpoint string, client aws.HTTPClient) (aws.Config, error) {
	if IsLoopbackEndpoint(endpoint) {
		if client == nil {
			client = NewHTTPClient()
		}
		return aws.Config{
			Region:       s.Region,
			Credentials:  credentials.NewStaticCredentialsProvider(SimulatorAccessKeyID, "simulator-secret", ""),
			BaseEndpoint: aws.String(endpoint),
			HTTPClient:   client,
		}, nil
	}
	opts := []func(*config.LoadOptions) error{config.WithRegion(s.Region)}
	if client != nil {
		opts = append(opts, config.WithHTTPClient(client))
	}
	if s.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(s.Profile))
	}
	if endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(endpoint))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("ec2: load AWS configuration: %w", err)
	}
	switch {
	case client != nil:
	case cfg.HTTPClient == nil:
		// No CA bundle: the SDK left the client to each service.
		cfg.HTTPClient = NewHTTPClient()
	default:
		// The SDK built its own client to apply AWS_CA_BUNDLE or a
		// profile's ca_bundle (it refuses to on any other client type);
		// the race workaround wraps it afterwards.
		cfg.HTTPClient = bodyWithoutWriteToClient{cfg.HTTPClient}
	}
	return cfg, nil
}
