package journal

import (
	"slices"
	"sort"
	"time"

	"gameday/internal/fleet"
)

// Summary is what a journal says about its run, as far as it got.
type Summary struct {
	RunID        string
	Scenario     string
	ScenarioFile string
	Account      string
	// Endpoint and Endpoints are the start record's: see EndpointFor.
	Endpoint  string
	Endpoints map[string]string
	Regions   []string
	DryRun    bool
	// Status is the last end record's status, or StatusInterrupted.
	Status   string
	Reason   string
	Finished bool
	// StartedAt is the start record's time; EndedAt the last end record's.
	StartedAt time.Time
	EndedAt   time.Time
	// LastAt is the time of the last record: when the run was last alive.
	LastAt  time.Time
	Records int
	// MayBeStopped lists every instance the run may have left stopped,
	// sorted by region and id.
	MayBeStopped []Instance
	// Tagged lists every instance that may still carry the run's dead-man
	// tags, sorted by region and id.
	Tagged []Instance
}

// Instance is an instance the run may have left behind.
type Instance struct {
	ID     string `json:"id"`
	Region string `json:"region"`
	AZ     string `json:"az,omitempty"`
	Phase  string `json:"phase,omitempty"`
	Wave   int    `json:"wave,omitempty"`
	// StopResult is the outcome of the last stop: ok, error, uncertain,
	// or "" when the journal ends before it (the call may have gone out).
	StopResult string `json:"stop_result,omitempty"`
}

// NeedsRecovery reports whether gameday recover has anything to look at:
// the run never ended, or it may have left instances stopped or tagged.
func (s Summary) NeedsRecovery() bool {
	return !s.Finished || len(s.MayBeStopped) > 0 || len(s.Tagged) > 0
}

// EndpointFor is where the run sent region's EC2 calls: "" for AWS itself.
func (s Summary) EndpointFor(region string) string {
	if e := s.Endpoints[region]; e != "" {
		return e
	}
	return s.Endpoint
}

// RecoveryRegions lists, sorted, the regions where the run left something.
func (s Summary) RecoveryRegions() []string {
	var regions []string
	for _, list := range [][]Instance{s.MayBeStopped, s.Tagged} {
		for _, inst := range list {
			if !slices.Contains(regions, inst.Region) {
				regions = append(regions, inst.Region)
			}
		}
	}
	sort.Strings(regions)
	return regions
}

// InRegion returns the ids of instances in region.
func InRegion(list []Instance, region string) []string {
	var ids []string
	for _, inst := range list {
		if inst.Region == region {
			ids = append(ids, inst.ID)
		}
	}
	return ids
}

// track is what the journal says about one instance so far.
type track struct {
	inst Instance
	// stopSeq is the last stop intent; startSeq the last start intent
	// after it (0: none).
	stopSeq, startSeq uint64
	startResult       string
	mayBeStopped      bool
	tagSeq            uint64
	tagged            bool
}

type summarizer struct {
	sum     Summary
	intents map[uint64]*Intent
	tracks  map[string]*track
	planned map[string]PlanInstance
}

// Summarize replays records in order. An instance may be left stopped
// when a stop was intended for it, whatever the outcome (an uncertain or
// even failed call may have acted on part of a batch), and nothing since
// confirmed it running: a start that did not fail followed by a state
// record seeing it running, or a restore record saying so. It may carry
// the run's tags when a CreateTags was intended and no DeleteTags since
// succeeded (or a restore record said untagged).
func Summarize(records []Record) Summary {
	s := &summarizer{intents: map[uint64]*Intent{}, tracks: map[string]*track{}, planned: map[string]PlanInstance{}}
	s.sum.Status = StatusInterrupted
	for i := range records {
		s.apply(&records[i])
	}
	return s.finish()
}

func (s *summarizer) apply(r *Record) {
	s.sum.Records++
	s.sum.LastAt = r.Time
	switch r.Type {
	case TypeStart:
		s.start(r)
	case TypePlan:
		for _, ph := range r.Plan.Phases {
			for _, w := range ph.Waves {
				for _, inst := range w.Instances {
					s.planned[inst.ID] = inst
				}
			}
		}
	case TypeIntent:
		s.intent(r.Seq, r.Intent)
	case TypeOutcome:
		s.outcome(r.Outcome)
	case TypeState:
		s.state(r.State)
	case TypeRestore:
		s.restore(r.Restore)
	case TypeEnd:
		s.sum.Status, s.sum.Reason, s.sum.Finished, s.sum.EndedAt = r.End.Status, r.End.Reason, true, r.Time
	}
}

func (s *summarizer) start(r *Record) {
	st := r.Start
	s.sum.RunID, s.sum.Scenario, s.sum.ScenarioFile = st.RunID, st.Scenario, st.ScenarioFile
	s.sum.Account, s.sum.Endpoint, s.sum.Endpoints = st.Account, st.Endpoint, st.Endpoints
	s.sum.Regions, s.sum.DryRun = st.Regions, st.DryRun
	s.sum.StartedAt = r.Time
}

func (s *summarizer) track(id, region string) *track {
	t := s.tracks[id]
	if t == nil {
		t = &track{inst: Instance{ID: id, Region: region}}
		if p, ok := s.planned[id]; ok {
			t.inst.AZ = p.AZ
		}
		s.tracks[id] = t
	}
	return t
}

func (s *summarizer) intent(seq uint64, in *Intent) {
	s.intents[seq] = in
	for _, id := range in.IDs {
		t := s.track(id, in.Region)
		switch in.Action {
		case fleet.ActionStop:
			t.stopSeq, t.startSeq, t.startResult, t.mayBeStopped = seq, 0, "", true
			t.inst.StopResult, t.inst.Phase, t.inst.Wave = "", in.Phase, in.Wave
		case fleet.ActionStart:
			if t.mayBeStopped {
				t.startSeq, t.startResult = seq, ""
			}
		case fleet.ActionTag:
			t.tagSeq, t.tagged = seq, true
		}
	}
}

func (s *summarizer) outcome(o *Outcome) {
	in := s.intents[o.Intent]
	if in == nil {
		return
	}
	ids := o.IDs
	if len(ids) == 0 {
		ids = in.IDs
	}
	for _, id := range ids {
		t := s.tracks[id]
		if t == nil {
			continue // an id the intent did not name
		}
		switch {
		case in.Action == fleet.ActionStop && t.stopSeq == o.Intent:
			t.inst.StopResult = o.Result
		case in.Action == fleet.ActionStart && t.startSeq == o.Intent:
			t.startResult = o.Result
		case in.Action == fleet.ActionUntag && o.Result == ResultOK && o.Intent > t.tagSeq:
			t.tagged = false
		}
	}
}

// state confirms a restart only after a start intent that followed the
// stop and did not fail: an older "running" cannot pass for a new one.
func (s *summarizer) state(st *State) {
	for id, state := range st.Instances {
		t := s.tracks[id]
		if t == nil || !t.mayBeStopped || state != fleet.StateRunning {
			continue
		}
		if t.startSeq > t.stopSeq && (t.startResult == ResultOK || t.startResult == ResultUncertain) {
			t.mayBeStopped = false
		}
	}
}

func (s *summarizer) restore(rs *Restore) {
	for _, id := range rs.IDs {
		t := s.tracks[id]
		if t == nil {
			continue
		}
		switch rs.Result {
		case RestoreRunning:
			t.mayBeStopped = false
		case RestoreUntagged:
			t.tagged = false
		case RestoreGone:
			t.mayBeStopped, t.tagged = false, false
		}
	}
}

func (s *summarizer) finish() Summary {
	for _, t := range s.tracks {
		if t.mayBeStopped {
			s.sum.MayBeStopped = append(s.sum.MayBeStopped, t.inst)
		}
		if t.tagged {
			s.sum.Tagged = append(s.sum.Tagged, Instance{ID: t.inst.ID, Region: t.inst.Region, AZ: t.inst.AZ})
		}
	}
	sortInstances(s.sum.MayBeStopped)
	sortInstances(s.sum.Tagged)
	return s.sum
}

func sortInstances(list []Instance) {
	sort.Slice(list, func(a, b int) bool {
		if list[a].Region != list[b].Region {
			return list[a].Region < list[b].Region
		}
		return list[a].ID < list[b].ID
	})
}
