package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gameday/internal/sim"
	"gameday/internal/sim/ec2api"
)

// Secrets: gameday runs with recognisable fake credentials, from the
// environment and from a shared-credentials profile, and with a role the
// simulator's STS issues credentials for; none of them may appear in any
// output, log, journal or report, debug logs and error paths included.
//
// Against a loopback endpoint gameday never loads credentials (it signs
// with dummy ones), which would make the test vacuous. So the commands
// that must use real credentials reach the simulators through a
// non-loopback endpoint (http://ec2.canary.test), with HTTP_PROXY pointing
// at a forwarding proxy on loopback: the full credential chain, the SigV4
// signer and the SDK's error paths run as they would against AWS. The
// proxy records what was signed, to prove the canaries were really used.
// Each command runs in a child process (this test binary, re-executed), so
// the environment is the child's own.
//
// Decision on the access key id: AWS treats it as an identifier, not a
// secret, but it names the account's user and gameday's journals are
// shared in postmortems (journal.Redact already removes it). The test holds
// every canary to the same rule: the secret key, the session token and the
// access key id appear nowhere.
const (
	canaryKeyID   = "AKIAGAMEDAYCANARY001" // 20 characters, the shape of a real key id
	canarySecret  = "canary-secret-wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
	canaryToken   = "canary-token-FwoGZXIvYXdzEBYaDGdhbWVkYXljYW5hcnk-session"
	profileKeyID  = "AKIAGAMEDAYPROFILE01"
	profileSecret = "canary-profile-secret-9f8e7d6c5b4a3210fedcba9876543210"
	profileToken  = "canary-profile-token-IQoJb3JpZ2luX2VjEJr-profile-session"
	roleARN       = "arn:aws:iam::123456789012:role/gameday-canary"
	childEnv      = "GAMEDAY_SECRETS_CHILD_ARGS"
)

// TestSecretsChild is not a test on its own: it is the child process of
// TestSecretsNeverLeak, running gameday with the arguments in its
// environment.
func TestSecretsChild(t *testing.T) {
	raw := os.Getenv(childEnv)
	if raw == "" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(99)
	}
	a := &app{in: strings.NewReader(""), out: os.Stdout, errOut: os.Stderr, exit: os.Exit}
	os.Exit(a.run(context.Background(), args))
}

// canaryProxy is an HTTP forward proxy that sends each host to a simulator
// and records the credentials requests were signed with.
type canaryProxy struct {
	routes map[string]*httputil.ReverseProxy // by host name

	mu sync.Mutex
	// signedWith counts requests per access key id (from Authorization);
	// tokens counts X-Amz-Security-Token values.
	signedWith map[string]int
	tokens     map[string]int
	// issued are the credentials AssumeRole answers carried.
	issued []string
}

func newCanaryProxy(t *testing.T, sims map[string]string) (*canaryProxy, string) {
	t.Helper()
	p := &canaryProxy{routes: map[string]*httputil.ReverseProxy{}, signedWith: map[string]int{}, tokens: map[string]int{}}
	for host, simURL := range sims {
		target, err := url.Parse(simURL)
		if err != nil {
			t.Fatal(err)
		}
		p.routes[host] = &httputil.ReverseProxy{
			Rewrite:        func(r *httputil.ProxyRequest) { r.SetURL(target) },
			ModifyResponse: p.recordIssued,
		}
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return p, "http://" + l.Addr().String()
}

func (p *canaryProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	if key := signedAccessKeyID(r.Header.Get("Authorization")); key != "" {
		p.signedWith[key]++
	}
	if tok := r.Header.Get("X-Amz-Security-Token"); tok != "" {
		p.tokens[tok]++
	}
	p.mu.Unlock()
	host := r.URL.Hostname()
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	form, _ := url.ParseQuery(string(body))
	// badsig refuses every call; midsig only the real StopInstances, in the
	// middle of a run, so that the message reaches the journal and reports.
	if host == "badsig.canary.test" || (host == "midsig.canary.test" && form.Get("Action") == "StopInstances" && form.Get("DryRun") != "true") {
		// AWS echoes the canonical request in SignatureDoesNotMatch, and
		// with it the session token (aws-sdk-cpp#17, selling-partner-api
		// issues): an error message is a way out for a token.
		canonical := "POST\n/\n\ncontent-type:" + r.Header.Get("Content-Type") + "\nhost:" + r.Host +
			"\nx-amz-date:" + r.Header.Get("X-Amz-Date") + "\nx-amz-security-token:" + r.Header.Get("X-Amz-Security-Token") +
			"\n\ncontent-type;host;x-amz-date;x-amz-security-token\n" + r.Header.Get("X-Amz-Content-Sha256")
		msg := "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key " +
			"and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'" +
			canonical + "'\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n" + r.Header.Get("X-Amz-Date") +
			"\n" + credentialScope(r.Header.Get("Authorization")) + "\n8c6b3e1a'\n"
		var out bytes.Buffer
		if host == "badsig.canary.test" { // STS's envelope: GetCallerIdentity is the first call
			out.WriteString(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>`)
			_ = xml.EscapeText(&out, []byte(msg))
			out.WriteString(`</Message></Error><RequestId>8a1e7c0e-canary</RequestId></ErrorResponse>`)
		} else { // EC2's
			out.WriteString(`<Response><Errors><Error><Code>SignatureDoesNotMatch</Code><Message>`)
			_ = xml.EscapeText(&out, []byte(msg))
			out.WriteString(`</Message></Error></Errors><RequestID>8a1e7c0e-canary</RequestID></Response>`)
		}
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write(out.Bytes())
		return
	}
	route, ok := p.routes[host]
	if !ok {
		http.Error(w, "canary proxy: no route to "+host, http.StatusBadGateway)
		return
	}
	route.ServeHTTP(w, r)
}

// recordIssued remembers the credentials of an AssumeRole answer.
func (p *canaryProxy) recordIssued(resp *http.Response) error {
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if !bytes.Contains(body, []byte("<AssumeRoleResponse")) {
		return nil
	}
	var out struct {
		Creds struct {
			AccessKeyID     string `xml:"AccessKeyId"`
			SecretAccessKey string `xml:"SecretAccessKey"`
			SessionToken    string `xml:"SessionToken"`
		} `xml:"AssumeRoleResult>Credentials"`
	}
	if err := xml.Unmarshal(body, &out); err != nil {
		return err
	}
	p.mu.Lock()
	p.issued = append(p.issued, out.Creds.AccessKeyID, out.Creds.SecretAccessKey, out.Creds.SessionToken)
	p.mu.Unlock()
	return nil
}

// credentialScope is the scope of a SigV4 Authorization header, without
// the key id: 20261122/us-east-1/sts/aws4_request.
func credentialScope(authorization string) string {
	_, rest, _ := strings.Cut(authorization, "Credential=")
	cred, _, _ := strings.Cut(rest, ",")
	_, scope, _ := strings.Cut(cred, "/")
	return scope
}

// signedAccessKeyID is the key id of a SigV4 Authorization header.
func signedAccessKeyID(authorization string) string {
	_, rest, ok := strings.Cut(authorization, "Credential=")
	if !ok {
		return ""
	}
	key, _, _ := strings.Cut(rest, "/")
	return key
}

// childResult is one command's outcome.
type childResult struct {
	args           []string
	code           int
	stdout, stderr string
}

// runChild runs gameday args in a child process with env (and nothing of
// this process's environment but PATH).
func runChild(t *testing.T, env []string, args ...string) childResult {
	t.Helper()
	raw, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestSecretsChild$", "-test.count=1")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), childEnv + "=" + string(raw)}, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	res := childResult{args: args, stdout: out.String(), stderr: errOut.String()}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		res.code = exitErr.ExitCode()
	default:
		t.Fatal(err)
	}
	return res
}

// secretsFleet is 12 opted-in web hosts with health listeners and fast
// boots, and api settings of a test's choosing.
func secretsFleet(api sim.APISpec) sim.FleetSpec {
	boot := sim.BootSpec{
		Down:     sim.Range{Min: 300 * time.Millisecond, Max: 400 * time.Millisecond},
		Starting: sim.Range{Min: 50 * time.Millisecond, Max: 100 * time.Millisecond},
		Stopping: sim.Range{Min: 200 * time.Millisecond, Max: 300 * time.Millisecond},
		Pending:  sim.Range{Min: 200 * time.Millisecond, Max: 300 * time.Millisecond},
	}
	return sim.FleetSpec{API: api, Groups: []sim.GroupSpec{{Name: "web", Count: 12,
		AvailabilityZones: []string{"us-east-1a", "us-east-1b", "us-east-1c"},
		Tags:              map[string]string{"app": "web", "gameday": "opt-in"}, Boot: boot}}}
}

func serveSecretsFleet(t *testing.T, spec sim.FleetSpec) string {
	t.Helper()
	s, err := sim.New(spec, sim.Options{Seed: 17, Listeners: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	srv, err := ec2api.Start(s, "127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv.URL()
}

const secretsScenario = `apiVersion: gameday/v1
name: secrets-canary
target: {region: us-east-1, tags: {app: web}}
blast_radius: {count: 4}
action: {type: stop-start}
waves: {count: 2, gate_timeout: 30s}
verify: {instance: {url: "http://{{.PrivateIP}}:8080/healthz", interval: 150ms}}
`

// TestSecretsNeverLeak is not t.Parallel: its commands run side by side on
// their own, and running it before the package's parallel tests keeps the
// load of its child processes off their timings.
func TestSecretsNeverLeak(t *testing.T) {
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	runs, demoRuns := filepath.Join(dir, "runs"), filepath.Join(dir, "demo-runs")
	credsFile, configFile := filepath.Join(dir, "credentials"), filepath.Join(dir, "config")
	for path, text := range map[string]string{
		credsFile: "[canary]\naws_access_key_id = " + profileKeyID + "\naws_secret_access_key = " + profileSecret +
			"\naws_session_token = " + profileToken + "\n",
		configFile: "[profile canary]\nregion = us-east-1\n",
	} {
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(home, 0o755); err != nil {
		t.Fatal(err)
	}
	scn := writeScenario(t, secretsScenario)
	tiny := writeScenario(t, `apiVersion: gameday/v1
name: secrets-demo
target: {region: us-east-1, tags: {app: web}}
blast_radius: {count: 2}
action: {type: reboot}
waves: {count: 1, wait_for_healthy: false}
`)
	direct := serveSecretsFleet(t, secretsFleet(sim.APISpec{}))
	px, proxy := newCanaryProxy(t, map[string]string{
		"ec2.canary.test":     serveSecretsFleet(t, secretsFleet(sim.APISpec{})),
		"profile.canary.test": serveSecretsFleet(t, secretsFleet(sim.APISpec{})),
		"role.canary.test":    serveSecretsFleet(t, secretsFleet(sim.APISpec{})),
		"denied.canary.test":  serveSecretsFleet(t, secretsFleet(sim.APISpec{Deny: []string{sim.ActionStopInstances}})),
		"midsig.canary.test":  serveSecretsFleet(t, secretsFleet(sim.APISpec{})),
		"faulty.canary.test": serveSecretsFleet(t, secretsFleet(sim.APISpec{Fail: []sim.CallFailure{
			{Action: sim.ActionStartInstances, Call: 2, Code: "UnauthorizedOperation"}}})),
	})

	base := []string{"HOME=" + home, "HTTP_PROXY=" + proxy, "AWS_CONFIG_FILE=" + configFile,
		"AWS_SHARED_CREDENTIALS_FILE=" + credsFile, "AWS_EC2_METADATA_DISABLED=true"}
	envKeys := slices.Concat(base, []string{"AWS_ACCESS_KEY_ID=" + canaryKeyID, "AWS_SECRET_ACCESS_KEY=" + canarySecret,
		"AWS_SESSION_TOKEN=" + canaryToken, "AWS_REGION=us-east-1"})
	debug := []string{"--log-level", "debug", "--log-format", "json"}
	remote := func(host string, args ...string) []string {
		return slices.Concat(args, []string{"--endpoint-url", "http://" + host, "--runs-dir", runs, "--poll-interval", "50ms"}, debug)
	}

	var mu sync.Mutex
	var results []childResult
	record := func(res childResult, want int) {
		mu.Lock()
		defer mu.Unlock()
		results = append(results, res)
		if res.code != want {
			t.Errorf("gameday %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(res.args, " "), res.code, want, res.stdout, res.stderr)
		}
	}
	// Every fleet has its own chain of commands; the chains run side by side.
	chains := [][]func(){
		{
			func() {
				record(runChild(t, envKeys, remote("ec2.canary.test", "run", scn, "--yes", "--seed", "1")...), ExitMet)
			},
			func() {
				record(runChild(t, envKeys, remote("ec2.canary.test", "recover", "--orphans", "--region", "us-east-1")...), ExitMet)
			},
		},
		{func() {
			record(runChild(t, base, remote("profile.canary.test", "run", scn, "--yes", "--seed", "2", "--profile", "canary")...), ExitMet)
		}},
		{func() {
			record(runChild(t, envKeys, remote("role.canary.test", "run", scn, "--yes", "--seed", "3", "--role-arn", roleARN)...), ExitMet)
		}},
		// Straight to a simulator, which gets dummy keys, in console format.
		{func() {
			record(runChild(t, envKeys, "run", scn, "--endpoint-url", direct, "--runs-dir", runs, "--seed", "4",
				"--role-arn", roleARN, "--poll-interval", "50ms", "--log-level", "debug"), ExitMet)
		}},
		{
			func() { record(runChild(t, envKeys, append([]string{"validate", scn}, debug...)...), ExitMet) },
			func() {
				record(runChild(t, envKeys, slices.Concat([]string{"plan", scn, "--endpoint-url", "http://ec2.canary.test",
					"--show-instances"}, debug)...), ExitMet)
			},
			func() {
				record(runChild(t, envKeys, slices.Concat([]string{"plan", scn, "--endpoint-url", "http://ec2.canary.test",
					"--output", "json"}, debug)...), ExitMet)
			},
		},
		{func() {
			record(runChild(t, envKeys, remote("denied.canary.test", "run", scn, "--yes")...), ExitInfrastructure)
		}},
		{func() {
			record(runChild(t, envKeys, remote("faulty.canary.test", "run", scn, "--yes")...), ExitInfrastructure)
		}},
		{func() {
			record(runChild(t, envKeys, remote("midsig.canary.test", "run", scn, "--yes")...), ExitInfrastructure)
		}},
		{
			func() {
				record(runChild(t, envKeys, remote("badsig.canary.test", "run", scn, "--yes")...), ExitInfrastructure)
			},
			func() {
				record(runChild(t, envKeys, slices.Concat([]string{"plan", scn, "--endpoint-url", "http://badsig.canary.test"}, debug)...),
					ExitInfrastructure)
			},
			func() {
				record(runChild(t, envKeys, slices.Concat([]string{"run", scn, "--endpoint-url", "http://127.0.0.1:1", "--runs-dir", runs}, debug)...),
					ExitInfrastructure)
			},
		},
		{func() {
			record(runChild(t, envKeys, slices.Concat([]string{"demo", "--scenario", tiny, "--seed", "5", "--runs-dir", demoRuns,
				"--progress", "never"}, debug)...), ExitMet)
		}},
	}
	runChains(chains)

	// Reading the runs back, after they all ended.
	readers := [][]func(){
		{func() {
			record(runChild(t, envKeys, slices.Concat([]string{"runs", "--runs-dir", runs}, debug)...), ExitMet)
		}},
		{func() {
			record(runChild(t, envKeys, slices.Concat([]string{"runs", "--runs-dir", runs, "--output", "json"}, debug)...), ExitMet)
		}},
		{func() {
			record(runChild(t, envKeys, slices.Concat([]string{"recover", "--runs-dir", runs}, debug)...), ExitMet)
		}},
		{func() {
			record(runChild(t, envKeys, slices.Concat([]string{"report", "latest", "--runs-dir", runs}, debug)...), ExitMet)
		}},
	}
	for _, format := range []string{"html", "junit", "markdown", "json", "text"} {
		readers = append(readers, []func(){func() {
			record(runChild(t, envKeys, slices.Concat([]string{"report", "latest", "--runs-dir", runs, "--format", format}, debug)...), ExitMet)
		}})
	}
	runChains(readers)

	// The canaries were really used: the proxy saw every one sign.
	px.mu.Lock()
	issued := px.issued
	if px.signedWith[canaryKeyID] == 0 || px.tokens[canaryToken] == 0 {
		t.Errorf("no request signed with the environment's canary credentials: %v", px.signedWith)
	}
	if px.signedWith[profileKeyID] == 0 || px.tokens[profileToken] == 0 {
		t.Errorf("no request signed with the profile's canary credentials: %v", px.signedWith)
	}
	if len(issued) == 0 || px.signedWith[issued[0]] == 0 || px.tokens[issued[2]] == 0 {
		t.Errorf("no request signed with the role's credentials (issued %v): %v", issued, px.signedWith)
	}
	px.mu.Unlock()

	canaries := map[string]string{
		"environment secret key": canarySecret, "environment session token": canaryToken, "environment access key id": canaryKeyID,
		"profile secret key": profileSecret, "profile session token": profileToken, "profile access key id": profileKeyID,
	}
	for i, v := range issued {
		canaries[[]string{"role access key id", "role secret key", "role session token"}[i%3]+fmt.Sprint(" ", i/3)] = v
	}
	texts := map[string]string{}
	for i, res := range results {
		texts[fmt.Sprintf("stdout of #%d gameday %s", i, strings.Join(res.args, " "))] = res.stdout
		texts[fmt.Sprintf("stderr of #%d gameday %s", i, strings.Join(res.args, " "))] = res.stderr
	}
	files := 0
	for _, root := range []string{runs, demoRuns} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			texts[path] = string(data)
			files++
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if files < 20 {
		t.Errorf("only %d files under the runs directories; the runs did not write what they should", files)
	}
	for where, text := range texts {
		for what, canary := range canaries {
			if canary != "" && strings.Contains(text, canary) {
				t.Errorf("the %s appears in %s:\n%s", what, where, excerpt(text, canary))
			}
		}
	}
}

// runChains runs each chain's steps in order, three chains at a time: the
// package's other tests time real recoveries and need the CPU too.
func runChains(chains [][]func()) {
	var wg sync.WaitGroup
	slots := make(chan struct{}, 3)
	for _, chain := range chains {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			for _, step := range chain {
				step()
			}
		})
	}
	wg.Wait()
}

// excerpt is the text around the first occurrence of s.
func excerpt(text, s string) string {
	i := strings.Index(text, s)
	return text[max(0, i-300):min(len(text), i+len(s)+100)]
}
