package sim

import (
	"encoding/json"
	"gameday/internal/fleet"
	"io"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"
)

// AuditRecord is one API call the simulator served, successful or not.
type AuditRecord struct {
	Time        time.Time `json:"time"`
	Action      string    `json:"action"`
	InstanceIDs []string  `json:"instance_ids,omitempty"`
	DryRun      bool      `json:"dry_run"`
	// ErrorCode is the EC2 error code returned, "" on success.
	ErrorCode string `json:"error_code,omitempty"`
	RequestID string `json:"request_id"`
}

// auditLog has its own lock so a slow AuditWriter never blocks the fleet.
type auditLog struct {
	mu      sync.Mutex
	records []AuditRecord
	w       io.Writer
	log     *zap.Logger
}

// RecordAudit appends rec to the audit log and, when an AuditWriter is set,
// writes it as one JSON line. A failing writer is logged, not fatal: the
// in-memory log stays complete.
func (s *Sim) RecordAudit(rec AuditRecord) {
	rec.InstanceIDs = slices.Clone(rec.InstanceIDs)
	a := &s.audit
	a.mu.Lock()
	defer a.mu.Unlock()
	a.records = append(a.records, rec)
	if a.w == nil {
		return
	}
	line, err := json.Marshal(rec)
	if err == nil {
		_, err = a.w.Write(append(line, '\n'))
	}
	if err != nil {
		a.log.Error("write audit record", zap.String("request_id", rec.RequestID), zap.Error(err))
	}
}

// Audit returns a copy of every record so far, oldest first.
func (s *Sim) Audit() []AuditRecord {
	a := &s.audit
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]AuditRecord, len(a.records))
	for i, rec := range a.records {
		rec.InstanceIDs = slices.Clone(rec.InstanceIDs)
		out[i] = rec
	}
	return out
}

// RebootCounts returns, per instance id, how many successful non-DryRun
// RebootInstances calls named it. Ids never rebooted are absent. Reboots
// asked for directly through Sim.Reboot are not API calls and not counted.
func (s *Sim) RebootCounts() map[string]int { return s.CallCounts(ActionRebootInstances) }

// CallCounts returns, per instance (or tagged resource) id, how many
// successful non-DryRun calls of action named it, so that tests can prove
// what was and was not touched.
func (s *Sim) CallCounts(action string) map[string]int {
	counts := map[string]int{}
	for _, rec := range s.Audit() {
		if rec.Action != action || rec.DryRun || rec.ErrorCode != "" {
			continue
		}
		for _, id := range fleet.UniqueIDs(rec.InstanceIDs) {
			counts[id]++
		}
	}
	return counts
}
