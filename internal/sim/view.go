package sim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"gameday/internal/fleet"
)

// InstanceView is a copy of everything the API layer shows about an
// instance.
type InstanceView struct {
	fleet.Instance
	StateCode int
	// StateReason says why the instance is stopping or stopped; nil
	// otherwise. StateTransitionReason is EC2's "reason" text.
	StateReason           *StateReason
	StateTransitionReason string
	PrivateDNSName        string // empty before Start
	PublicDNSName         string // empty without a public IP
	ImageID               string
	ReservationID         string
	VpcID                 string
	SubnetID              string
	AvailabilityZoneID    string
	Group                 string
	Health                Health
	// HealthSince is when the current phase began; zero if it never changed.
	HealthSince time.Time
	// Reboots counts every reboot of the instance, whatever asked for it.
	Reboots int
	// Events are its scheduled events, completed ones included.
	Events []EventView

	// tags backs Tag and EachTag while a Select match function runs; Tags is
	// nil then, to spare a map copy per instance scanned.
	tags *tagSet
}

// StateReason is EC2's stateReason of a stopping or stopped instance.
type StateReason struct {
	Code    string // Client.UserInitiatedShutdown or Server.ScheduledStop
	Message string
}

// Tag returns the value of one tag.
func (v *InstanceView) Tag(key string) (string, bool) {
	if v.tags != nil {
		return v.tags.get(key)
	}
	value, ok := v.Tags[key]
	return value, ok
}

// EachTag calls fn for every tag, in no particular order.
func (v *InstanceView) EachTag(fn func(key, value string)) {
	if v.tags != nil {
		v.tags.each(fn)
		return
	}
	for k, value := range v.Tags {
		fn(k, value)
	}
}

// Query picks instances for one page of a Describe call.
type Query struct {
	// IDs limits the answer to these instances; unknown ids are skipped.
	IDs []string
	// After resumes after the instance with this id.
	After string
	// Limit caps the answer; 0 means no cap.
	Limit int
	// Match keeps the instances it accepts; nil keeps all. Its view is only
	// valid during the call and has no Tags map: use Tag and EachTag.
	Match func(v *InstanceView) bool
}

// Select returns, in id order, the instances q matches after q.After, at
// most q.Limit of them, and whether more match after the last one. It
// scans from q.After (found by binary search) and stops at the first match
// past the limit, so a page costs what it returns, not the fleet's size,
// unless the filter is sparse.
func (s *Sim) Select(q Query) (views []InstanceView, more bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	candidates := s.instances
	if len(q.IDs) > 0 {
		candidates = s.knownLocked(q.IDs)
	}
	start, found := slices.BinarySearchFunc(candidates, q.After, func(in *instance, id string) int {
		return strings.Compare(in.id, id)
	})
	if found {
		start++
	}
	var scratch InstanceView
	for _, in := range candidates[start:] {
		if q.Match != nil {
			s.fillViewLocked(&scratch, in)
			if !q.Match(&scratch) {
				continue
			}
		}
		if q.Limit > 0 && len(views) == q.Limit {
			return views, true
		}
		views = append(views, s.viewLocked(in))
	}
	return views, false
}

// knownLocked returns the instances of ids that exist, sorted, no repeats.
func (s *Sim) knownLocked(ids []string) []*instance {
	out := make([]*instance, 0, len(ids))
	for _, id := range ids {
		if in, ok := s.byID[id]; ok && !slices.Contains(out, in) {
			out = append(out, in)
		}
	}
	sortInstances(out)
	return out
}

// Describe returns a view of every instance, sorted by id.
func (s *Sim) Describe() []InstanceView {
	views, _ := s.Select(Query{})
	return views
}

// Instances returns every instance as the domain type, sorted by id.
// PrivateIP is empty until Start has assigned the loopback blocks.
func (s *Sim) Instances() []fleet.Instance {
	views := s.Describe()
	out := make([]fleet.Instance, len(views))
	for i, v := range views {
		out[i] = v.Instance
	}
	return out
}

// Missing returns the ids, in the order given, that name no instance.
func (s *Sim) Missing(ids []string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var missing []string
	for _, id := range ids {
		if _, ok := s.byID[id]; !ok {
			missing = append(missing, id)
		}
	}
	return missing
}

// HealthOf returns the health phase of one instance.
func (s *Sim) HealthOf(id string) (Health, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.byID[id]
	if !ok {
		return "", false
	}
	return in.health, true
}

// HealthURL returns the URL of an instance's health endpoint on its private
// address, or "" before Start or for an unknown id.
func (s *Sim) HealthURL(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.byID[id]
	if !ok || !s.started {
		return ""
	}
	return fmt.Sprintf("http://%s:%d%s", s.privateIPLocked(in), s.spec.HealthPort, s.spec.HealthPath)
}

// viewLocked is a full, independent view of in.
func (s *Sim) viewLocked(in *instance) InstanceView {
	var v InstanceView
	s.fillViewLocked(&v, in)
	v.tags = nil
	v.Tags = in.tags.clone()
	return v
}

// fillViewLocked overwrites v with in, sharing in's tags.
func (s *Sim) fillViewLocked(v *InstanceView, in *instance) {
	private, public := s.privateIPLocked(in), s.publicIPLocked(in)
	*v = InstanceView{
		Instance: fleet.Instance{
			ID:           in.id,
			Region:       s.spec.Region,
			AZ:           in.az,
			State:        in.state,
			InstanceType: in.group.spec.InstanceType,
			PrivateIP:    private,
			PublicIP:     public,
			LaunchTime:   s.ids.launchTime,
		},
		StateCode:          stateCodes[in.state],
		PrivateDNSName:     privateDNSName(private, s.spec.Region),
		PublicDNSName:      publicDNSName(public, s.spec.Region),
		ImageID:            s.ids.image,
		ReservationID:      in.group.reservation,
		VpcID:              s.ids.vpc,
		SubnetID:           s.ids.subnets[in.az],
		AvailabilityZoneID: s.ids.zoneIDs[in.az],
		Group:              in.group.spec.Name,
		Health:             in.health,
		HealthSince:        in.healthSince,
		Reboots:            in.reboots,
		Events:             s.eventViewsLocked(in),
		tags:               &in.tags,
	}
	v.StateReason, v.StateTransitionReason = in.stop.reasons(in.state)
}

// reasons are EC2's stateReason and reason for an instance in state.
func (c stopCause) reasons(state string) (*StateReason, string) {
	if c.at.IsZero() || (state != fleet.StateStopping && state != fleet.StateStopped) {
		return nil, ""
	}
	when := c.at.UTC().Format("2006-01-02 15:04:05") + " GMT"
	if c.scheduled {
		// Decision: the reason text of a scheduled stop is not recorded in
		// ec2-api.md; the code and message are EC2's documented ones.
		return &StateReason{Code: "Server.ScheduledStop", Message: "Server.ScheduledStop: Stopped due to scheduled retirement"},
			"Service initiated (" + when + ")"
	}
	return &StateReason{Code: "Client.UserInitiatedShutdown", Message: "Client.UserInitiatedShutdown: User initiated shutdown"},
		"User initiated (" + when + ")"
}

func privateDNSName(ip, region string) string {
	if ip == "" {
		return ""
	}
	return "ip-" + strings.ReplaceAll(ip, ".", "-") + internalDomain(region)
}

// publicDNSName is EC2's public name: compute-1 in us-east-1 alone.
func publicDNSName(ip, region string) string {
	if ip == "" {
		return ""
	}
	domain := "." + region + ".compute.amazonaws.com"
	if region == "us-east-1" {
		domain = ".compute-1.amazonaws.com"
	}
	return "ec2-" + strings.ReplaceAll(ip, ".", "-") + domain
}

// internalDomain is EC2's private DNS suffix: us-east-1 alone uses the
// legacy ec2.internal.
func internalDomain(region string) string {
	if region == "us-east-1" {
		return ".ec2.internal"
	}
	return "." + region + ".compute.internal"
}
