package journal

import (
	"net/url"
	"regexp"
)

// Journals are shared in postmortems; nothing in them may let a reader act
// as the operator. gameday never writes credentials on purpose; these
// rules catch the accidents: an endpoint URL with user:password in it, an
// error message quoting such a URL or an access key id.
var (
	urlUserInfo = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]+@`)
	accessKeyID = regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`)
)

// Redact removes user info from URLs and AWS access key ids from s.
func Redact(s string) string {
	s = urlUserInfo.ReplaceAllString(s, "${1}REDACTED@")
	return accessKeyID.ReplaceAllString(s, "${1}REDACTED")
}

// RedactEndpoint keeps an endpoint's scheme, host and path only.
func RedactEndpoint(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return Redact(raw)
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// sanitize redacts the free-text fields of r. Payloads are copied first:
// they belong to the caller.
func sanitize(r *Record) {
	switch {
	case r.Start != nil:
		s := *r.Start
		s.Endpoint = RedactEndpoint(s.Endpoint)
		if s.Endpoints != nil {
			s.Endpoints = make(map[string]string, len(r.Start.Endpoints))
			for region, e := range r.Start.Endpoints {
				s.Endpoints[region] = RedactEndpoint(e)
			}
		}
		r.Start = &s
	case r.Outcome != nil:
		o := *r.Outcome
		o.Message = Redact(o.Message)
		r.Outcome = &o
	case r.Abort != nil:
		r.Abort = &Abort{Reason: Redact(r.Abort.Reason)}
	case r.Restore != nil:
		rs := *r.Restore
		rs.Reason = Redact(rs.Reason)
		r.Restore = &rs
	case r.End != nil:
		r.End = &End{Status: r.End.Status, Reason: Redact(r.End.Reason)}
	case r.Health != nil:
		h := Health{Transitions: make([]Transition, len(r.Health.Transitions))}
		for i, t := range r.Health.Transitions {
			t.Detail = Redact(t.Detail)
			h.Transitions[i] = t
		}
		r.Health = &h
	}
}
