package ec2

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"gameday/internal/fleet"
	"gameday/internal/sim"
)

func TestStopStartAndReadBack(t *testing.T) {
	e := newSimEnv(t, appFleet(6))
	p := e.provider(Options{})
	ids := e.ids()
	if err := p.Stop(t.Context(), ids[:4], false); err != nil {
		t.Fatal(err)
	}
	e.waitForState(ids[:4], fleet.StateStopped)
	got, err := p.Describe(t.Context(), ids)
	if err != nil {
		t.Fatal(err)
	}
	for i, inst := range got {
		want := fleet.StateStopped
		if !slices.Contains(ids[:4], inst.ID) {
			want = fleet.StateRunning
		}
		if inst.State != want || inst.Region != "us-east-1" || inst.AZ == "" {
			t.Errorf("Describe[%d] = %s %s in %q/%q, want %s in us-east-1", i, inst.ID, inst.State, inst.Region, inst.AZ, want)
		}
	}
	if err := p.Start(t.Context(), ids[:4]); err != nil {
		t.Fatal(err)
	}
	e.waitForState(ids, fleet.StateRunning)
	if got := e.sim.CallCounts(sim.ActionStartInstances); len(got) != 4 {
		t.Errorf("started %v, want the 4 stopped instances once each", got)
	}
}

// TestForceGoesOnTheWireOnlyWhenAsked: Stop(force) sends Force=true; a
// plain stop sends no Force at all, as the AWS CLI does.
func TestForceGoesOnTheWireOnlyWhenAsked(t *testing.T) {
	e := newSimEnv(t, appFleet(2))
	p := e.provider(Options{})
	ids := e.ids()
	if err := p.Stop(t.Context(), ids[:1], true); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(t.Context(), ids[1:], false); err != nil {
		t.Fatal(err)
	}
	reqs := e.wire.requests("StopInstances")
	if len(reqs) != 2 || reqs[0].Get("Force") != "true" || reqs[1].Has("Force") {
		t.Errorf("StopInstances forms %v, want Force=true then no Force", reqs)
	}
}

func TestTagAndUntagReadBack(t *testing.T) {
	e := newSimEnv(t, appFleet(5))
	p := e.provider(Options{})
	ids := e.ids()
	tags := map[string]string{"gameday:run-id": "r-1", "gameday:restore-by": "2026-01-01T00:00:00Z"}
	if err := p.Tag(t.Context(), ids[:3], tags); err != nil {
		t.Fatal(err)
	}
	got, err := p.Describe(t.Context(), ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, inst := range got {
		tagged := inst.HasTag("gameday:run-id", "r-1") && inst.HasTag("gameday:restore-by", "2026-01-01T00:00:00Z")
		if tagged != slices.Contains(ids[:3], inst.ID) || inst.Tags["app"] != "api" {
			t.Errorf("%s tags %v after tagging %v", inst.ID, inst.Tags, ids[:3])
		}
	}
	if err := p.Untag(t.Context(), ids, []string{"gameday:run-id", "gameday:restore-by"}); err != nil {
		t.Fatal(err)
	}
	got, err = p.Describe(t.Context(), ids)
	if err != nil {
		t.Fatal(err)
	}
	for _, inst := range got {
		if _, ok := inst.Tags["gameday:run-id"]; ok || inst.Tags["app"] != "api" {
			t.Errorf("%s tags %v after Untag: want the gameday keys gone and the others kept", inst.ID, inst.Tags)
		}
	}
	// Untag sends keys only, so a tag goes whatever its value.
	for _, form := range e.wire.requests("DeleteTags") {
		if form.Has("Tag.1.Value") || form.Get("Tag.1.Key") == "" {
			t.Errorf("DeleteTags form %v, want keys without values", form)
		}
	}
}

func TestTagAndUntagRefuseNothingToDo(t *testing.T) {
	e := newSimEnv(t, appFleet(1))
	p := e.provider(Options{})
	if err := p.Tag(t.Context(), e.ids(), nil); err == nil {
		t.Error("Tag without tags succeeded")
	}
	if err := p.Untag(t.Context(), e.ids(), nil); err == nil || !strings.Contains(err.Error(), "every tag") {
		t.Errorf("Untag without keys = %v, want a refusal: DeleteTags would remove every tag", err)
	}
	if n := len(e.sim.Audit()); n != 0 {
		t.Errorf("%d calls made, want none", n)
	}
	if err := p.Reboot(t.Context(), nil); err != nil || len(e.sim.Audit()) != 0 {
		t.Errorf("Reboot of no ids = %v with %d calls, want nil and no call", err, len(e.sim.Audit()))
	}
}

func TestBatchSizes(t *testing.T) {
	e := newSimEnv(t, appFleet(20))
	p := e.provider(Options{BatchSize: 7, TagBatchSize: 8})
	ids := e.ids()
	steps := []struct {
		action string
		do     func() error
		want   []int
	}{
		{sim.ActionRebootInstances, func() error { return p.Reboot(t.Context(), ids) }, []int{7, 7, 6}},
		{sim.ActionCreateTags, func() error { return p.Tag(t.Context(), ids, map[string]string{"k": "v"}) }, []int{8, 8, 4}},
		{sim.ActionDeleteTags, func() error { return p.Untag(t.Context(), ids, []string{"k"}) }, []int{8, 8, 4}},
		{sim.ActionStopInstances, func() error { return p.Stop(t.Context(), append(ids, ids[0]), true) }, []int{7, 7, 6}},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.action, err)
		}
		if got := e.batchSizes(st.action); !slices.Equal(got, st.want) {
			t.Errorf("%s batch sizes %v, want %v", st.action, got, st.want)
		}
	}
	e.waitForState(ids, fleet.StateStopped)
	if err := p.Start(t.Context(), ids); err != nil {
		t.Fatal(err)
	}
	if got := e.batchSizes(sim.ActionStartInstances); !slices.Equal(got, []int{7, 7, 6}) {
		t.Errorf("StartInstances batch sizes %v, want [7 7 6]", got)
	}
}

func TestTagBatchesDefaultToOneCallPerThousand(t *testing.T) {
	e := newSimEnv(t, appFleet(30))
	p := e.provider(Options{BatchSize: 7})
	if err := p.Tag(t.Context(), e.ids(), map[string]string{"k": "v"}); err != nil {
		t.Fatal(err)
	}
	if got := e.batchSizes(sim.ActionCreateTags); !slices.Equal(got, []int{30}) {
		t.Errorf("CreateTags batch sizes %v, want one call of 30 (tags batch up to 1000, apart from BatchSize)", got)
	}
}

func TestDryRunAllowedActsOnNothing(t *testing.T) {
	e := newSimEnv(t, appFleet(5))
	p := e.provider(Options{BatchSize: 2})
	ids := e.ids()
	for _, action := range []fleet.Action{fleet.ActionReboot, fleet.ActionStop, fleet.ActionStart, fleet.ActionTag, fleet.ActionUntag} {
		if err := p.DryRun(t.Context(), action, ids); err != nil {
			t.Errorf("DryRun(%s) = %v, want nil (DryRunOperation)", action, err)
		}
	}
	for _, rec := range e.sim.Audit() {
		if !rec.DryRun || rec.ErrorCode != "DryRunOperation" {
			t.Errorf("audit %+v: want only DryRun calls answered DryRunOperation", rec)
		}
	}
	// One call each, whatever the batch size of real calls: a permission
	// check must not spend the tokens the run needs next.
	if got := len(e.calls(sim.ActionStopInstances)); got != 1 {
		t.Errorf("%d StopInstances DryRun calls for 5 ids in batches of 2, want 1", got)
	}
	if got := len(e.calls(sim.ActionCreateTags)); got != 1 {
		t.Errorf("%d CreateTags DryRun calls, want 1", got)
	}
	for _, id := range ids {
		if e.state(id) != fleet.StateRunning {
			t.Errorf("%s is %s after DryRuns", id, e.state(id))
		}
	}
}

func TestDryRunDeniedNamesThePermission(t *testing.T) {
	spec := appFleet(3)
	spec.API.Deny = []string{sim.ActionStopInstances}
	e := newSimEnv(t, spec)
	p := e.provider(Options{})
	if err := p.DryRun(t.Context(), fleet.ActionReboot, e.ids()); err != nil {
		t.Fatalf("DryRun(reboot) = %v, want allowed", err)
	}
	err := p.DryRun(t.Context(), fleet.ActionStop, e.ids())
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "UnauthorizedOperation" || apiErr.Action != "ec2:StopInstances" ||
		!strings.Contains(apiErr.Hint, "ec2:StopInstances") {
		t.Fatalf("DryRun(stop) = %#v, want UnauthorizedOperation whose hint names ec2:StopInstances", err)
	}
	if !strings.Contains(err.Error(), "UnauthorizedOperation") || !strings.Contains(err.Error(), "hint:") {
		t.Errorf("message %q lacks the code or the hint", err)
	}
	if err := p.DryRun(t.Context(), fleet.Action("TerminateInstances"), e.ids()); err == nil {
		t.Error("DryRun of an action gameday never takes succeeded")
	}
}

// TestRefusalIsReturnedAtOnceWithItsCode: a refusal is not retried and
// keeps its code and hint; later batches are not sent.
func TestRefusalIsReturnedAtOnceWithItsCode(t *testing.T) {
	e := newSimEnv(t, appFleet(4))
	p := e.provider(Options{BatchSize: 2})
	ids := e.ids()
	if _, err := e.sim.StopInstances(ids[2:3], true); err != nil {
		t.Fatal(err)
	}
	e.waitForState(ids[2:3], fleet.StateStopped)
	err := p.Reboot(t.Context(), ids)
	var apiErr *APIError
	var batchErr *BatchError
	var uncertain *fleet.UncertainError
	switch {
	case !errors.As(err, &apiErr) || apiErr.Code != "IncorrectInstanceState" || apiErr.Hint == "":
		t.Fatalf("Reboot = %v, want IncorrectInstanceState with a hint", err)
	case errors.As(err, &uncertain):
		t.Fatalf("a refusal reported as uncertain: %v", err)
	case !errors.As(err, &batchErr) || len(batchErr.Done) != 2 || !slices.Equal(batchErr.Batch, ids[2:4]) || len(batchErr.NotSent) != 0:
		t.Fatalf("BatchError %+v, want 2 done and the second batch failed", batchErr)
	}
	if got := e.codes(sim.ActionRebootInstances); got[""] != 1 || got["IncorrectInstanceState"] != 1 || len(got) != 2 {
		t.Errorf("RebootInstances audit %v, want one served and one refused call, no retry", got)
	}
}
