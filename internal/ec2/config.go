package ec2

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// SimulatorAccessKeyID is the dummy access key used for loopback endpoints.
// It is deliberately recognisable so nobody mistakes it for a real key.
const SimulatorAccessKeyID = "GAMEDAYSIMULATOR"

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
}

// ResolveEndpoint returns the endpoint to use: the explicit one, or the
// standard environment variables the Go SDK would honour anyway. Reading them
// here keeps one place deciding whether credentials may be real.
func (s Session) ResolveEndpoint() string {
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
func LoadConfig(ctx context.Context, s Session) (aws.Config, error) {
	if s.Region == "" {
		return aws.Config{}, fmt.Errorf("ec2: no region: set target.region in the scenario, --region, or AWS_REGION")
	}
	endpoint := s.ResolveEndpoint()
	if endpoint != "" {
		if _, err := url.ParseRequestURI(endpoint); err != nil {
			return aws.Config{}, fmt.Errorf("ec2: endpoint %q is not a URL: %w", endpoint, err)
		}
	}
	if IsLoopbackEndpoint(endpoint) {
		return aws.Config{
			Region:       s.Region,
			Credentials:  credentials.NewStaticCredentialsProvider(SimulatorAccessKeyID, "simulator-secret", ""),
			BaseEndpoint: aws.String(endpoint),
			HTTPClient:   NewHTTPClient(),
		}, nil
	}
	opts := []func(*config.LoadOptions) error{config.WithRegion(s.Region), config.WithHTTPClient(NewHTTPClient())}
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
	return cfg, nil
}
