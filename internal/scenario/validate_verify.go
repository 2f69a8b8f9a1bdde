package scenario

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"gameday/internal/strictyaml"
)

// HasInstanceHealth reports whether the scenario observes the health of
// each instance: with a probe, with EC2's status checks, or with the
// target health of ELB target groups. Health gates and recovery
// objectives need it.
func (v Verify) HasInstanceHealth() bool {
	return v.Instance != nil || v.EC2StatusChecks || len(v.TargetGroups) > 0
}

func (v *validator) verify(s *Scenario) {
	v.waitNeedsHealth(s)
	if p := s.Verify.Instance; p != nil {
		v.instanceProbe(s, *p)
	}
	v.services(s.Verify.Services)
	v.targetGroups(s)
	v.notNegative("verify.steady_state", s.Verify.SteadyState.Duration)
	v.notNegative("verify.observe_after", s.Verify.ObserveAfter.Duration)
}

// waitNeedsHealth reports the first waves section, among those a step
// uses, that waits for health the scenario does not observe.
func (v *validator) waitNeedsHealth(s *Scenario) {
	if s.Verify.HasInstanceHealth() {
		return
	}
	for i, st := range s.Steps() {
		if !st.Waves.WaitsForHealthy() {
			continue
		}
		waves := "waves"
		if len(s.Phases) > 0 && s.Phases[i].Waves != nil {
			waves = strictyaml.JoinIndex("phases", i) + ".waves"
		}
		flag := waves + ".wait_for_healthy"
		msg := fmt.Sprintf("per-instance health is needed when %s is true", flag)
		if !v.written(flag) {
			msg += ", which is the default"
		}
		e := v.atKey("verify.instance", msg,
			fmt.Sprintf("add verify.instance (an http url or a tcp address) or verify.ec2_status_checks: true; or set %s: false", flag))
		v.judged(e, flag, "verify.ec2_status_checks", "verify.target_groups")
		return
	}
}

func (v *validator) instanceProbe(s *Scenario, p InstanceProbe) {
	const base = "verify.instance"
	switch p.Type {
	case ProbeHTTP:
		v.forbidden(base+".address", p.Address != "", "only applies to type: tcp", "an http probe uses url")
		v.status(base+".expect_status", p.ExpectStatus)
		v.probeTarget(s, base+".url", p.URL, urlTemplate, `e.g. "http://{{.PrivateIP}}:8080/healthz"`)
	case ProbeTCP:
		const onlyHTTP = "only applies to type: http"
		const why = "a tcp probe only checks that the port accepts a connection"
		v.forbidden(base+".url", p.URL != "", onlyHTTP, why+"; use address")
		v.forbidden(base+".expect_status", p.ExpectStatus != 0, onlyHTTP, why)
		v.forbidden(base+".body_contains", p.BodyContains != "", onlyHTTP, why)
		v.probeTarget(s, base+".address", p.Address, addressTemplate, addressExample)
	default:
		v.oneOf(base+".type", "probe type", p.Type, []string{ProbeHTTP, ProbeTCP})
	}
	v.timing(base, p.Interval, p.Timeout, p.MaxLatency)
}

// forbidden reports a setting that is written (or set, in code) where it
// does not apply.
func (v *validator) forbidden(path string, set bool, msg, hint string) {
	if set || v.written(path) {
		v.atKey(path, msg, hint)
	}
}

func (v *validator) status(path string, status int) {
	if status < 100 || status > 599 {
		v.atValue(path, fmt.Sprintf("must be between 100 and 599, got %d", status), "")
	}
}

// timing checks the numbers every probe has.
func (v *validator) timing(base string, interval, timeout, maxLatency Duration) {
	v.positive(base+".interval", interval.Duration)
	v.positive(base+".timeout", timeout.Duration)
	v.notNegative(base+".max_latency", maxLatency.Duration)
	if timeout.Duration > 0 && maxLatency.Duration > timeout.Duration {
		v.atValue(base+".max_latency", fmt.Sprintf("max_latency %s is more than timeout %s", maxLatency, timeout),
			"a probe gives up at its timeout, so a longer max_latency never applies")
	}
}

// probeTarget checks a URL or address template the only way that catches
// everything: by rendering it for a made-up instance of this scenario's
// target and checking the result.
func (v *validator) probeTarget(s *Scenario, path, text string, kind templateKind, example string) {
	if text == "" {
		v.atKey(path, "required", example)
		return
	}
	check := checkRenderedURL
	if kind == addressTemplate {
		check = checkRenderedAddress
	}
	t, tagKeys, err := parseTemplate(kind, text)
	if err == nil {
		var out string
		if out, err = execute(kind, t, sampleURLFields(s.Target, tagKeys)); err == nil {
			_, err = check(out)
		}
	}
	if err == nil {
		return
	}
	var e *strictyaml.Error
	if errors.As(err, &e) {
		v.atValue(path, e.Msg, e.Hint)
		return
	}
	v.atValue(path, err.Error(), "")
}

func (v *validator) services(services []ServiceProbe) {
	notEmpty(v, "verify.services", services, "service")
	first := map[string]int{}
	for i, p := range services {
		base := strictyaml.JoinIndex("verify.services", i)
		if p.Name == "" {
			v.atKey(base+".name", "required", `what users call it, e.g. "storefront"`)
		} else if j, dup := first[p.Name]; dup {
			v.atValue(base+".name", fmt.Sprintf("service %q is already defined at verify.services[%d]", p.Name, j), "")
		} else {
			first[p.Name] = i
		}
		v.serviceURL(base+".url", p.URL)
		v.status(base+".expect_status", p.ExpectStatus)
		v.timing(base, p.Interval, p.Timeout, p.MaxLatency)
	}
}

// serviceURL checks the URL of a service: one plain URL, not a template.
func (v *validator) serviceURL(path, text string) {
	switch {
	case text == "":
		v.atKey(path, "required", `e.g. "https://staging.example.com/health"`)
		return
	case strings.Contains(text, "{{"):
		v.atValue(path, "service URLs are plain URLs, not templates",
			"a service is probed at one address for the whole run; per-instance URLs belong in verify.instance.url")
		return
	}
	u, err := url.Parse(text)
	switch {
	case err != nil:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		v.atValue(path, fmt.Sprintf("URL %q is not valid: %v", text, err), schemeHint(text))
	case u.Scheme != "http" && u.Scheme != "https":
		v.atValue(path, fmt.Sprintf("URL %q is not http or https", text), startWithScheme)
	case u.Hostname() == "":
		v.atValue(path, fmt.Sprintf("URL %q has no host", text), `e.g. "https://staging.example.com/health"`)
	}
}
