package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestAuditLogAndRebootCounts(t *testing.T) {
	var lines bytes.Buffer
	s, err := New(tinyFleet(), Options{AuditWriter: &lines})
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	records := []AuditRecord{
		{Time: when, Action: ActionRebootInstances, InstanceIDs: []string{"i-a", "i-b", "i-a"}, RequestID: "r1"},
		{Time: when, Action: ActionRebootInstances, InstanceIDs: []string{"i-a"}, DryRun: true, ErrorCode: "DryRunOperation", RequestID: "r2"},
		{Time: when, Action: ActionRebootInstances, InstanceIDs: []string{"i-c"}, ErrorCode: "InvalidInstanceID.NotFound", RequestID: "r3"},
		{Time: when, Action: "DescribeInstances", InstanceIDs: []string{"i-d"}, RequestID: "r4"},
		{Time: when, Action: ActionRebootInstances, InstanceIDs: []string{"i-b"}, RequestID: "r5"},
	}
	for _, rec := range records {
		s.RecordAudit(rec)
	}
	got := s.RebootCounts()
	if len(got) != 2 || got["i-a"] != 1 || got["i-b"] != 2 {
		t.Errorf("RebootCounts() = %v, want map[i-a:1 i-b:2]", got)
	}

	audit := s.Audit()
	audit[0].InstanceIDs[0] = "mutated"
	if s.Audit()[0].InstanceIDs[0] != "i-a" {
		t.Error("Audit() returned shared slices")
	}

	jsonLines := strings.Split(strings.TrimSpace(lines.String()), "\n")
	if len(jsonLines) != len(records) {
		t.Fatalf("audit writer got %d lines, want %d", len(jsonLines), len(records))
	}
	const want = `{"time":"2025-01-02T03:04:05Z","action":"RebootInstances","instance_ids":["i-a"],"dry_run":true,"error_code":"DryRunOperation","request_id":"r2"}`
	if jsonLines[1] != want {
		t.Errorf("audit line 2:\n got %s\nwant %s", jsonLines[1], want)
	}
	var back AuditRecord
	if err := json.Unmarshal([]byte(jsonLines[0]), &back); err != nil || back.RequestID != "r1" {
		t.Errorf("line 1 does not round-trip: %v %+v", err, back)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestAuditWriterFailureIsLoggedNotLost(t *testing.T) {
	core, logs := observer.New(zap.ErrorLevel)
	s, err := New(tinyFleet(), Options{AuditWriter: failingWriter{}, Logger: zap.New(core)})
	if err != nil {
		t.Fatal(err)
	}
	s.RecordAudit(AuditRecord{Action: "DescribeInstances", RequestID: "r1"})
	if len(s.Audit()) != 1 {
		t.Error("record lost from the in-memory log")
	}
	if logs.FilterMessage("write audit record").Len() != 1 {
		t.Errorf("want one error log, got %v", logs.All())
	}
}
