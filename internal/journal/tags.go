package journal

import (
	"fmt"
	"time"
)

// The dead-man's switch: before it stops an instance, a run tags it with
// its run id and the time by which it means to have started it again, and
// removes both once the instance runs again. Tags live on the instance, so
// they outlive the laptop and the journal: `gameday recover --orphans`
// finds stopped instances by TagRunID alone, and a new run refuses to
// touch instances whose TagRestoreBy lies in the future.
const (
	TagRunID     = "gameday:run-id"
	TagRestoreBy = "gameday:restore-by"
)

// DeadManTagKeys are the keys a run removes once an instance is back.
var DeadManTagKeys = []string{TagRunID, TagRestoreBy}

// RestoreByLayout is the format of TagRestoreBy: RFC 3339 in UTC to the
// second, e.g. 2026-11-22T18:30:00Z (characters EC2 tag values allow).
const RestoreByLayout = time.RFC3339

// DeadManTags returns the tags a run sets on an instance before stopping it.
func DeadManTags(runID string, restoreBy time.Time) map[string]string {
	return map[string]string{TagRunID: runID, TagRestoreBy: FormatRestoreBy(restoreBy)}
}

// FormatRestoreBy formats a deadline as TagRestoreBy holds it.
func FormatRestoreBy(t time.Time) string {
	return t.UTC().Truncate(time.Second).Format(RestoreByLayout)
}

// ParseRestoreBy reads a TagRestoreBy value; any RFC 3339 time is accepted.
func ParseRestoreBy(v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q is not an RFC 3339 time", TagRestoreBy, v)
	}
	return t.UTC(), nil
}
