package runner

import (
	"gameday/internal/scenario"
	"gameday/internal/verify"
)

// newProber builds the instance prober a scenario asks for.
func newProber(p *scenario.InstanceProbe, loopbackOnly bool) verify.Prober {
	if p.Type == scenario.ProbeTCP {
		return verify.NewTCPProber(p.Timeout.Duration, p.MaxLatency.Duration, loopbackOnly)
	}
	return verify.NewHTTPProber(verify.HTTPProbe{
		Timeout: p.Timeout.Duration, ExpectStatus: p.ExpectStatus, BodyContains: p.BodyContains,
		MaxLatency: p.MaxLatency.Duration, LoopbackOnly: loopbackOnly,
	})
}
