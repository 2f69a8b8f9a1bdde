package events

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// WriteText prints the listing grouped by AZ, then by window, one line per
// event: code, instance, Name tag, and what a scenario does about it.
func (l Listing) WriteText(w io.Writer) error {
	where := l.Region
	if len(l.Tags) > 0 {
		where += " with tags " + tagList(l.Tags)
	}
	ew := &errWriter{w: w}
	ew.printf("scheduled events of %d instances in %s, as of %s\n", l.Instances, where, l.Now.Format(time.RFC3339))
	if len(l.Events) == 0 {
		ew.printf("no scheduled events\n")
		return ew.err
	}
	codeWidth, idWidth, nameWidth := 0, 0, 0
	for _, e := range l.Events {
		codeWidth = max(codeWidth, len(e.Code))
		idWidth = max(idWidth, len(e.InstanceID))
		nameWidth = max(nameWidth, len([]rune(cleanName(e.Name))))
	}
	for _, z := range l.Zones() {
		ew.printf("\n%s\n", z.AZ)
		for _, zw := range z.Windows {
			ew.printf("  %s%s\n", zw.Window, l.when(zw))
			for _, e := range zw.Events {
				name := cleanName(e.Name)
				pad := strings.Repeat(" ", nameWidth-len([]rune(name)))
				ew.printf("    %-*s  %-*s  %s%s  %s\n", codeWidth, e.Code, idWidth, e.InstanceID, name, pad, outcome(e))
			}
		}
	}
	ew.printf("\n%s\n", l.summary())
	return ew.err
}

// when says where a window stands relative to Now.
func (l Listing) when(zw ZoneWindow) string {
	pending := slices.ContainsFunc(zw.Events, func(e Event) bool { return e.Status.Pending() })
	switch {
	case !pending:
		return ""
	case zw.NotBefore.IsZero():
		return "  (no start announced)"
	case l.Now.Before(zw.NotBefore):
		return fmt.Sprintf("  (opens in %s)", zw.NotBefore.Sub(l.Now).Round(time.Second))
	}
	return fmt.Sprintf("  (open for %s)", l.Now.Sub(zw.NotBefore).Round(time.Second))
}

// outcome is Outcome with an arrow before an action, for the listing.
func outcome(e Event) string {
	if e.Action != "" {
		return "-> " + e.Outcome()
	}
	return e.Outcome()
}

// summary counts events, instances and actions and names the next window.
func (l Listing) summary() string {
	pending, instances, azs := 0, map[string]bool{}, map[string]bool{}
	actions := map[string]map[string]bool{}
	var finished, alone int
	for _, e := range l.Events {
		switch {
		case !e.Status.Pending():
			finished++
			continue
		case e.Action == "":
			alone++
		default:
			if actions[e.Action] == nil {
				actions[e.Action] = map[string]bool{}
			}
			actions[e.Action][e.InstanceID] = true
		}
		pending++
		instances[e.InstanceID] = true
		azs[e.AZ] = true
	}
	s := fmt.Sprintf("%s on %s in %s", plural(pending, "pending event"), plural(len(instances), "instance"), plural(len(azs), "AZ"))
	var acts []string
	for _, a := range slices.Sorted(maps.Keys(actions)) {
		acts = append(acts, fmt.Sprintf("%s %s", a, plural(len(actions[a]), "instance")))
	}
	if len(acts) > 0 {
		s += "; a scenario would " + strings.Join(acts, ", ")
	}
	if alone > 0 {
		s += fmt.Sprintf("; %s left alone", plural(alone, "event"))
	}
	if finished > 0 {
		s += fmt.Sprintf("; %d completed or canceled", finished)
	}
	if next, ok := l.nextPending(); ok {
		s += fmt.Sprintf(". The next window opens at %s (in %s).", next.Format(time.RFC3339), next.Sub(l.Now).Round(time.Second))
	} else {
		s += "."
	}
	return s
}

// nextPending is the earliest not-before of a scheduled (not yet open)
// event, acted on or not.
func (l Listing) nextPending() (time.Time, bool) {
	var next time.Time
	for _, e := range l.Events {
		if e.Status == StatusScheduled && !e.NotBefore.IsZero() && (next.IsZero() || e.NotBefore.Before(next)) {
			next = e.NotBefore
		}
	}
	return next, !next.IsZero()
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}

// Document is the listing as JSON (--output json): zones by name, windows
// earliest first, events by code and instance. Times are RFC 3339 in UTC;
// absent ones are left out.
type Document struct {
	Region    string            `json:"region"`
	Tags      map[string]string `json:"tags,omitempty"`
	AsOf      string            `json:"as_of"`
	Instances int               `json:"instances"`
	Zones     []DocumentZone    `json:"zones"`
}

// DocumentZone is one AZ of a Document.
type DocumentZone struct {
	AvailabilityZone string           `json:"availability_zone"`
	Windows          []DocumentWindow `json:"windows"`
}

// DocumentWindow is one window of a DocumentZone.
type DocumentWindow struct {
	NotBefore string          `json:"not_before,omitempty"`
	NotAfter  string          `json:"not_after,omitempty"`
	Events    []DocumentEvent `json:"events"`
}

// DocumentEvent is one event of a DocumentWindow.
type DocumentEvent struct {
	Code              string `json:"code"`
	InstanceID        string `json:"instance_id"`
	Name              string `json:"name,omitempty"`
	State             string `json:"state"`
	OptedIn           bool   `json:"opted_in"`
	EventID           string `json:"event_id"`
	Description       string `json:"description"`
	NotBeforeDeadline string `json:"not_before_deadline,omitempty"`
	Status            Status `json:"status"`
	// Action is what a generated scenario does: reboot, stop-start, or
	// none (Note says why).
	Action string `json:"action"`
	Note   string `json:"note,omitempty"`
}

// Document returns the listing in its JSON form.
func (l Listing) Document() Document {
	doc := Document{Region: l.Region, Tags: l.Tags, AsOf: l.Now.Format(time.RFC3339), Instances: l.Instances, Zones: []DocumentZone{}}
	for _, z := range l.Zones() {
		dz := DocumentZone{AvailabilityZone: z.AZ}
		for _, zw := range z.Windows {
			dw := DocumentWindow{NotBefore: formatTime(zw.NotBefore, ""), NotAfter: formatTime(zw.NotAfter, "")}
			for _, e := range zw.Events {
				dw.Events = append(dw.Events, DocumentEvent{
					Code: e.Code, InstanceID: e.InstanceID, Name: e.Name, State: e.State, OptedIn: e.OptedIn,
					EventID: e.EventID, Description: e.Description, NotBeforeDeadline: formatTime(e.NotBeforeDeadline, ""),
					Status: e.Status, Action: cmp.Or(e.Action, "none"), Note: e.Note,
				})
			}
			dz.Windows = append(dz.Windows, dw)
		}
		doc.Zones = append(doc.Zones, dz)
	}
	return doc
}

// WriteJSON prints Document, indented.
func (l Listing) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(l.Document())
}
