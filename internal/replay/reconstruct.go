package replay

import (
	"fmt"
	"time"
)

// Disruption is what happened to one original instance, or, for a CSV row
// about a zone, to one of the instances it counts (or the share of the
// zone it gives): a reboot, a stop and the start that ended it, an
// impairment and its recovery, a termination.
type Disruption struct {
	// Time is when it began (the reboot, the stop, ...).
	Time time.Time
	// End is when the instance was started again or recovered; zero when
	// the file never says so.
	End time.Time
	// Kind is the opening event: reboot, stop, force-stop, impaired or
	// terminate.
	Kind Kind
	// Terminated is true when the instance was terminated (after a stop,
	// or directly).
	Terminated bool
	// Instance is the instance id; "" for a unit of a CSV zone row.
	Instance string
	// Unit identifies the disruption's subject: the instance id, or the
	// row and position of a zone row's unit.
	Unit string
	// AZ is the zone the record gave ("" when it gave none).
	AZ     string
	Region string
	// Percent is the share of its zone a CSV percent row covers.
	Percent float64
	// Source and Call locate the opening event.
	Source, Call string
}

// Observed is the time the instance spent stopped or impaired, when the file
// shows both ends.
func (d Disruption) Observed() (time.Duration, bool) {
	if d.End.IsZero() || d.Terminated {
		return 0, false
	}
	return d.End.Sub(d.Time), true
}

// Reconstruct pairs events into disruptions, in time order: a start or
// recovery ends the open stop or impairment of the same instance (for zone
// rows: of the same zone, first stopped first started). Events that cannot
// be placed are dropped with a reason: a start of an instance the file
// never stopped, a second stop of a stopped instance, a reboot of a
// stopped one, anything after a termination.
func Reconstruct(events []Event) ([]Disruption, map[Skip]int) {
	r := &reconstruction{
		open: map[string]int{}, gone: map[string]bool{}, dropped: map[Skip]int{},
		units: map[string][]int{}, shares: map[string][]int{},
	}
	for _, ev := range events {
		if ev.Aggregate() {
			r.aggregate(ev)
		} else {
			r.instance(ev)
		}
	}
	return r.out, r.dropped
}

type reconstruction struct {
	out []Disruption
	// open maps an instance to its stopped or impaired disruption.
	open map[string]int
	gone map[string]bool
	// units and shares queue the open units of zone rows per zone, counted
	// and percent.
	units, shares map[string][]int
	dropped       map[Skip]int
}

func (r *reconstruction) drop(reason string, ev Event) { r.dropped[Skip{reason, ev.Call}]++ }

func (r *reconstruction) add(ev Event, unit string, percent float64) int {
	r.out = append(r.out, Disruption{
		Time: ev.Time, Kind: ev.Kind, Terminated: ev.Kind == KindTerminate, Instance: ev.Instance, Unit: unit,
		AZ: ev.AZ, Region: ev.Region, Percent: percent, Source: ev.Source, Call: ev.Call,
	})
	return len(r.out) - 1
}

func (r *reconstruction) instance(ev Event) {
	id := ev.Instance
	i, stopped := r.open[id]
	switch {
	case r.gone[id]:
		r.drop("events after a termination", ev)
	case ev.Kind == KindTerminate:
		r.gone[id] = true
		if stopped {
			r.out[i].Terminated = true
			delete(r.open, id)
			return
		}
		r.add(ev, id, 0)
	case ev.Kind.ends() && stopped:
		r.out[i].End = ev.Time
		delete(r.open, id)
	case ev.Kind.ends():
		r.drop("starts of instances the file never stopped", ev)
	case stopped && ev.Kind == KindReboot:
		r.drop("reboots of stopped instances", ev)
	case stopped:
		r.drop("stops of instances already stopped", ev)
	case ev.Kind == KindReboot:
		r.add(ev, id, 0)
	default: // stop, force-stop, impaired
		r.open[id] = r.add(ev, id, 0)
	}
}

func (r *reconstruction) aggregate(ev Event) {
	zone := ev.AZ
	if ev.Percent > 0 {
		switch {
		case ev.Kind.ends() && len(r.shares[zone]) > 0:
			r.out[r.shares[zone][0]].End = ev.Time
			r.shares[zone] = r.shares[zone][1:]
		case ev.Kind.ends():
			r.drop("starts of instances the file never stopped", ev)
		case ev.Kind == KindReboot || ev.Kind == KindTerminate:
			r.add(ev, ev.Source, ev.Percent)
		default:
			r.shares[zone] = append(r.shares[zone], r.add(ev, ev.Source, ev.Percent))
		}
		return
	}
	if ev.Kind.ends() {
		n := min(ev.Count, len(r.units[zone]))
		for _, i := range r.units[zone][:n] {
			r.out[i].End = ev.Time
		}
		r.units[zone] = r.units[zone][n:]
		if n < ev.Count {
			r.drop("starts of instances the file never stopped", ev)
		}
		return
	}
	for k := range ev.Count {
		i := r.add(ev, fmt.Sprintf("%s#%d", ev.Source, k+1), 0)
		if ev.Kind != KindReboot && ev.Kind != KindTerminate {
			r.units[zone] = append(r.units[zone], i)
		}
	}
}
