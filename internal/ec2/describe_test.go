package ec2

import (
	"fmt"
	"slices"
	"testing"

	"gameday/internal/fleet"
	"gameday/internal/sim"
)

// TestDescribeManyIDsPagesWithinEC2Limits: 1,050 instances and 30 ids that
// never existed. Ids go 200 to a call in the instance-id filter (EC2 caps
// filter values at 200), each call paginated; absent ids are simply
// absent.
func TestDescribeManyIDsPagesWithinEC2Limits(t *testing.T) {
	e := newSimEnv(t, appFleet(1050))
	p := e.provider(Options{PageSize: 100})
	real := e.ids()
	var vanished []string
	for i := range 30 {
		vanished = append(vanished, fmt.Sprintf("i-%017x", 0xdead0000+i))
	}
	got, err := p.Describe(t.Context(), append(slices.Clone(real), vanished...))
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Sorted(slices.Values(real))
	if ids := fleet.IDs(got); !slices.Equal(ids, want) {
		t.Fatalf("Describe returned %d instances, want the %d that exist, sorted", len(ids), len(want))
	}
	// 1,080 ids: five calls of 200 existing ids at 100 a page (2 pages
	// each), then 50 existing and 30 vanished ids on one page.
	calls := e.calls(sim.ActionDescribeInstances)
	if len(calls) != 11 {
		t.Errorf("%d DescribeInstances calls, want 11", len(calls))
	}
	for _, rec := range calls {
		if rec.ErrorCode != "" || len(rec.InstanceIDs) != 0 {
			t.Errorf("audit %+v: want served calls with ids in a filter, not InstanceId.N", rec)
		}
	}
	for i, form := range e.wire.requests("DescribeInstances") {
		if form.Get("Filter.1.Name") != "instance-id" || form.Has("Filter.1.Value.201") || form.Get("MaxResults") != "100" {
			t.Errorf("call %d: filter %q, %v values beyond 200, MaxResults %q", i+1,
				form.Get("Filter.1.Name"), form.Has("Filter.1.Value.201"), form.Get("MaxResults"))
		}
	}
}

func TestDescribeOfVanishedIDsIsEmpty(t *testing.T) {
	e := newSimEnv(t, appFleet(2))
	p := e.provider(Options{})
	got, err := p.Describe(t.Context(), []string{"i-0123456789abcdef0", e.ids()[1], e.ids()[1]})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != e.ids()[1] {
		t.Errorf("Describe = %v, want only the one instance that exists, once", fleet.IDs(got))
	}
	if got, err := p.Describe(t.Context(), nil); err != nil || len(got) != 0 || len(e.calls(sim.ActionDescribeInstances)) != 1 {
		t.Errorf("Describe(nil) = %v, %v; want nothing, without a call", got, err)
	}
}
