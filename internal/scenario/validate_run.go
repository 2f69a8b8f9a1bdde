package scenario

import (
	"fmt"
	"slices"
)

// actionTypes are the valid action types, in the order messages list them.
var actionTypes = []string{ActionReboot, ActionStopStart, ActionForceStopStart, ActionStop}

const actionTypeHint = "use type: reboot, stop-start, force-stop-start or stop"

// action checks one action section. A missing type is reported by steps,
// which knows whether a phase inherits one.
func (v *validator) action(base string, a Action) {
	typ := base + ".type"
	known := slices.Contains(actionTypes, a.Type)
	switch {
	case known, a.Type == "":
	case a.Type == "terminate":
		v.atValue(typ, "gameday never terminates instances", "use type: reboot")
	default:
		v.atValue(typ, fmt.Sprintf("unknown action %q", a.Type), choiceHint(a.Type, actionTypes))
	}
	stopsAndStarts := a.Type == ActionStopStart || a.Type == ActionForceStopStart
	if known && !stopsAndStarts && (a.StoppedFor.Duration != 0 || v.written(base+".stopped_for")) {
		v.atKey(base+".stopped_for", fmt.Sprintf("only applies to stop-start and force-stop-start, not %s", a.Type), "")
	}
	v.notNegative(base+".stopped_for", a.StoppedFor.Duration)
	switch {
	case a.Type == ActionStop && !a.AllowLeaveStopped:
		e := v.atValue(typ, "type stop leaves every selected instance stopped when the run ends; it needs allow_leave_stopped: true",
			"set allow_leave_stopped: true if that is what you mean, or use stop-start to start them again")
		v.judged(e, base+".allow_leave_stopped")
	case known && a.Type != ActionStop && a.AllowLeaveStopped:
		v.atKey(base+".allow_leave_stopped", fmt.Sprintf("only applies to type stop, not %s", a.Type), "")
	}
}

const maxWaves = 1000

var waveOrders = []string{OrderRandom, OrderByAZ, OrderInterleaveAZ}

var gateTimeoutActions = []string{OnGateTimeoutAbort, OnGateTimeoutContinue}

// waves checks one waves section. Defaults have been applied, so an unset
// wave size is an explicit zero or a scenario built in code.
func (v *validator) waves(base string, w Waves) {
	v.waveSize(base, w)
	v.notNegative(base+".interval", w.Interval.Duration)
	v.oneOf(base+".order", "order", w.Order, waveOrders)
	v.positive(base+".gate_timeout", w.GateTimeout.Duration)
	if v.oneOf(base+".on_gate_timeout", "on_gate_timeout value", w.OnGateTimeout, gateTimeoutActions) &&
		!w.WaitsForHealthy() && v.written(base+".on_gate_timeout") {
		e := v.atKey(base+".on_gate_timeout", "has no effect when wait_for_healthy is false: there is no gate to time out", "")
		v.judged(e, base+".wait_for_healthy")
	}
	if w.MaxInFlight != 0 || v.written(base+".max_in_flight") {
		if w.MaxInFlight < 1 {
			v.atValue(base+".max_in_flight", fmt.Sprintf("must be at least 1, got %d", w.MaxInFlight), "leave it out to act on a whole wave at once")
		}
	}
}

func (v *validator) waveSize(base string, w Waves) {
	count := w.Count != 0 || v.written(base+".count")
	size := w.Size != 0 || v.written(base+".size")
	var given []string
	if count {
		given = append(given, "count")
	}
	if size {
		given = append(given, "size")
	}
	if w.Percent != nil {
		given = append(given, "percent")
	}
	const choose = "set exactly one of count, size or percent"
	switch len(given) {
	case 0:
		v.atKey(base, choose+"; none is set", "")
	case 1:
	default:
		v.atKey(base, fmt.Sprintf("%s; got %s", choose, joinAnd(given)), "count is a number of waves, size a number of instances per wave, percent a share of the selection per wave")
	}
	if count && (w.Count < 1 || w.Count > maxWaves) {
		v.atValue(base+".count", fmt.Sprintf("must be between 1 and %d, got %d", maxWaves, w.Count), "")
	}
	if size && w.Size < 1 {
		v.atValue(base+".size", fmt.Sprintf("must be at least 1, got %d", w.Size), "")
	}
}
