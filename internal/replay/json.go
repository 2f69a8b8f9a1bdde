package replay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// item is one record of a JSON input and where it sits.
type item struct {
	raw json.RawMessage
	src string
	// kind is the format the enclosing document implies (Records: CloudTrail,
	// Events: lookup-events); "" lets the record's keys decide.
	kind Format
}

// parseJSON reads CloudTrail (S3 log file, a record, an array of records),
// lookup-events output and EventBridge events (one, an array, or JSON lines),
// in any mix. forced reads every record as that format.
func parseJSON(name string, data []byte, forced Format) (*Incident, error) {
	inc := newIncident(name)
	items, err := jsonItems(name, data)
	if err != nil {
		return nil, err
	}
	var errs Errors
	var states []stateChange
	for _, it := range items {
		kind := it.kind
		if forced != FormatAuto {
			kind = forced
		}
		if kind == "" {
			kind = classify(it.raw)
		}
		inc.Records++
		before := len(inc.Events)
		switch kind {
		case FormatCloudTrail:
			var rec ctRecord
			if err := json.Unmarshal(it.raw, &rec); err != nil {
				errs.add("%s: not a CloudTrail record: %v", it.src, jsonProblem(err))
				continue
			}
			inc.sawFormat(FormatCloudTrail)
			inc.cloudTrail(rec, it.src, &errs)
		case FormatLookupEvents:
			inc.sawFormat(FormatLookupEvents)
			inc.lookupEvent(it.raw, it.src, &errs)
		case FormatEventBridge:
			inc.sawFormat(FormatEventBridge)
			if sc, ok := inc.eventBridge(it.raw, it.src, &errs); ok {
				states = append(states, sc)
				continue
			}
		default:
			inc.skip("unrecognised", "JSON object")
			continue
		}
		if len(inc.Events) > before {
			inc.Used++
		}
	}
	inc.foldStates(states)
	if err := errs.err(); err != nil {
		return nil, err
	}
	if len(inc.Formats) == 0 {
		return nil, fmt.Errorf("%s: no CloudTrail, lookup-events or EventBridge records found (%d JSON values)", name, len(items))
	}
	return inc, nil
}

// jsonItems splits the input into records: the Records of a CloudTrail log
// file, the Events of lookup-events output, the elements of an array, or
// each value of a stream (JSON lines).
func jsonItems(name string, data []byte) ([]item, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var values []json.RawMessage
	var lines []int
	for {
		start := dec.InputOffset()
		var v json.RawMessage
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, locate(data, start, err))
		}
		values = append(values, v)
		lines = append(lines, lineAt(data, skipSpace(data, start)))
	}
	stream := len(values) > 1
	var items []item
	for i, v := range values {
		prefix := name + ":"
		if stream {
			prefix = fmt.Sprintf("%s:%d:", name, lines[i])
		}
		items = append(items, split(v, prefix)...)
	}
	return items, nil
}

// split opens one top-level value into its records.
func split(v json.RawMessage, prefix string) []item {
	v = bytes.TrimSpace(v)
	if len(v) > 0 && v[0] == '[' {
		var elems []json.RawMessage
		if json.Unmarshal(v, &elems) == nil {
			out := make([]item, 0, len(elems))
			for i, e := range elems {
				out = append(out, item{raw: e, src: fmt.Sprintf("%s [%d]", prefix, i)})
			}
			return out
		}
	}
	var doc struct {
		Records *[]json.RawMessage `json:"Records"`
		Events  *[]json.RawMessage `json:"Events"`
	}
	if json.Unmarshal(v, &doc) == nil {
		switch {
		case doc.Records != nil:
			return named(*doc.Records, prefix, "Records", FormatCloudTrail)
		case doc.Events != nil:
			return named(*doc.Events, prefix, "Events", FormatLookupEvents)
		}
	}
	return []item{{raw: v, src: strings.TrimSuffix(prefix, ":")}}
}

func named(elems []json.RawMessage, prefix, field string, kind Format) []item {
	out := make([]item, 0, len(elems))
	for i, e := range elems {
		out = append(out, item{raw: e, src: fmt.Sprintf("%s %s[%d]", prefix, field, i), kind: kind})
	}
	return out
}

// classify tells the record formats apart by their keys.
func classify(raw json.RawMessage) Format {
	var keys map[string]json.RawMessage
	if json.Unmarshal(raw, &keys) != nil {
		return ""
	}
	has := func(k string) bool { _, ok := keys[k]; return ok }
	switch {
	case has("detail-type"):
		return FormatEventBridge
	case has("CloudTrailEvent"), has("EventName"), has("EventId"):
		return FormatLookupEvents
	case has("eventName"), has("eventSource"), has("eventTime"):
		return FormatCloudTrail
	}
	return ""
}

// ctRecord is the part of a CloudTrail record replay reads.
type ctRecord struct {
	EventTime         string          `json:"eventTime"`
	EventSource       string          `json:"eventSource"`
	EventName         string          `json:"eventName"`
	AWSRegion         string          `json:"awsRegion"`
	ErrorCode         string          `json:"errorCode"`
	ReadOnly          json.RawMessage `json:"readOnly"`
	RequestParameters json.RawMessage `json:"requestParameters"`
	ResponseElements  json.RawMessage `json:"responseElements"`
}

// ctInstances is the instancesSet of requestParameters and
// responseElements (the zone only in RunInstances responses), and the force
// flag of StopInstances.
type ctInstances struct {
	InstancesSet struct {
		Items []ctItem `json:"items"`
	} `json:"instancesSet"`
	Force json.RawMessage `json:"force"`
}

type ctItem struct {
	InstanceID string `json:"instanceId"`
	Placement  struct {
		AvailabilityZone string `json:"availabilityZone"`
	} `json:"placement"`
}

// ec2Calls maps the CloudTrail event names replay reads to kinds.
var ec2Calls = map[string]Kind{
	"RebootInstances":    KindReboot,
	"StopInstances":      KindStop,
	"StartInstances":     KindStart,
	"TerminateInstances": KindTerminate,
}

// cloudTrail turns one record into one event per instance, or a skip.
func (inc *Incident) cloudTrail(rec ctRecord, src string, errs *Errors) {
	name := rec.EventName
	if name == "" {
		errs.add("%s: no eventName", src)
		return
	}
	at, err := time.Parse(time.RFC3339, rec.EventTime)
	if err != nil {
		errs.add("%s: %s: eventTime %s: want an RFC 3339 time like 2024-03-12T14:02:10Z", src, name, quote(rec.EventTime))
		return
	}
	if rec.EventSource != "ec2.amazonaws.com" {
		inc.skip("other services", rec.EventSource+" "+name)
		return
	}
	var resp ctInstances
	if len(rec.ResponseElements) > 0 && json.Unmarshal(rec.ResponseElements, &resp) == nil && rec.ErrorCode == "" {
		for _, it := range resp.InstancesSet.Items {
			if az := it.Placement.AvailabilityZone; RegionOf(az) != "" && it.InstanceID != "" {
				inc.AZHints[it.InstanceID] = az
			}
		}
	}
	if rec.ErrorCode != "" {
		inc.skip("failed calls", name+" "+rec.ErrorCode)
		return
	}
	kind, ok := ec2Calls[name]
	if !ok {
		if truthy(rec.ReadOnly) || readOnlyName(name) {
			inc.skip("read-only calls", name)
		} else {
			inc.skip("other EC2 calls", name)
		}
		return
	}
	var req ctInstances
	if len(rec.RequestParameters) > 0 && string(rec.RequestParameters) != "null" {
		if err := json.Unmarshal(rec.RequestParameters, &req); err != nil {
			errs.add("%s: %s: requestParameters: %v", src, name, jsonProblem(err))
			return
		}
	}
	items := req.InstancesSet.Items
	if len(items) == 0 {
		items = resp.InstancesSet.Items
	}
	if kind == KindStop && truthy(req.Force) {
		kind = KindForceStop
	}
	n := 0
	for _, it := range items {
		if it.InstanceID == "" {
			continue
		}
		inc.Events = append(inc.Events, Event{
			Time: at.UTC(), Kind: kind, Instance: it.InstanceID, Region: rec.AWSRegion, Source: src, Call: name,
		})
		n++
	}
	if n == 0 {
		inc.skip("without instance ids", name)
	}
}

// lookupEvent reads one element of `aws cloudtrail lookup-events` output:
// its CloudTrailEvent string is a whole CloudTrail record. Without it, the
// summary fields (EventName, EventTime, Resources) are used.
func (inc *Incident) lookupEvent(raw json.RawMessage, src string, errs *Errors) {
	var ev struct {
		EventName       string          `json:"EventName"`
		EventSource     string          `json:"EventSource"`
		EventTime       json.RawMessage `json:"EventTime"`
		ReadOnly        json.RawMessage `json:"ReadOnly"`
		CloudTrailEvent *string         `json:"CloudTrailEvent"`
		Resources       []struct {
			ResourceType string `json:"ResourceType"`
			ResourceName string `json:"ResourceName"`
		} `json:"Resources"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		errs.add("%s: not a lookup-events event: %v", src, jsonProblem(err))
		return
	}
	if ev.CloudTrailEvent != nil && *ev.CloudTrailEvent != "" {
		var rec ctRecord
		if err := json.Unmarshal([]byte(*ev.CloudTrailEvent), &rec); err != nil {
			errs.add("%s: %s: CloudTrailEvent is not a JSON CloudTrail record: %v", src, ev.EventName, jsonProblem(err))
			return
		}
		inc.cloudTrail(rec, src, errs)
		return
	}
	// No embedded record: rebuild what it would have said.
	at, err := parseAPITime(ev.EventTime)
	if err != nil {
		errs.add("%s: %s: EventTime %s: %v", src, ev.EventName, string(ev.EventTime), err)
		return
	}
	rec := ctRecord{EventTime: at.Format(time.RFC3339Nano), EventSource: ev.EventSource, EventName: ev.EventName, ReadOnly: ev.ReadOnly}
	var req ctInstances
	for _, r := range ev.Resources {
		if r.ResourceType == "AWS::EC2::Instance" && r.ResourceName != "" {
			req.InstancesSet.Items = append(req.InstancesSet.Items, ctItem{InstanceID: r.ResourceName})
		}
	}
	rec.RequestParameters, _ = json.Marshal(req)
	inc.cloudTrail(rec, src, errs)
}

// parseAPITime reads a timestamp as the AWS CLI prints it: ISO 8601
// ("2024-03-12T14:02:10+00:00") or, with cli_timestamp_format none, epoch
// seconds.
func parseAPITime(raw json.RawMessage) (time.Time, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return time.Time{}, fmt.Errorf("want an RFC 3339 time like 2024-03-12T14:02:10Z")
		}
		return t.UTC(), nil
	}
	var f float64
	if json.Unmarshal(raw, &f) == nil && f > 0 && !math.IsInf(f, 0) {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
	}
	return time.Time{}, fmt.Errorf("want an RFC 3339 time or epoch seconds")
}

// stateChange is one EC2 Instance State-change Notification, before
// folding the two halves of each transition into one event.
type stateChange struct {
	ev    Event
	state string
}

// stateKinds maps EC2 states to the kind of change that entered them.
var stateKinds = map[string]Kind{
	"stopping":      KindStop,
	"stopped":       KindStop,
	"pending":       KindStart,
	"running":       KindStart,
	"shutting-down": KindTerminate,
	"terminated":    KindTerminate,
}

// firstHalf names the state that opens the transition a state ends.
var firstHalf = map[string]string{"stopped": "stopping", "running": "pending", "terminated": "shutting-down"}

// eventBridge reads one EventBridge event: a state-change notification
// (returned for folding), or an "AWS API Call via CloudTrail" event whose
// detail is a CloudTrail record.
func (inc *Incident) eventBridge(raw json.RawMessage, src string, errs *Errors) (stateChange, bool) {
	var ev struct {
		DetailType string          `json:"detail-type"`
		Time       string          `json:"time"`
		Region     string          `json:"region"`
		Detail     json.RawMessage `json:"detail"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		errs.add("%s: not an EventBridge event: %v", src, jsonProblem(err))
		return stateChange{}, false
	}
	switch ev.DetailType {
	case "EC2 Instance State-change Notification":
	case "AWS API Call via CloudTrail":
		var rec ctRecord
		if err := json.Unmarshal(ev.Detail, &rec); err != nil {
			errs.add("%s: detail is not a CloudTrail record: %v", src, jsonProblem(err))
			return stateChange{}, false
		}
		inc.cloudTrail(rec, src, errs)
		return stateChange{}, false
	default:
		inc.skip("other event types", ev.DetailType)
		return stateChange{}, false
	}
	var d struct {
		InstanceID string `json:"instance-id"`
		State      string `json:"state"`
	}
	if err := json.Unmarshal(ev.Detail, &d); err != nil {
		errs.add("%s: detail: %v", src, jsonProblem(err))
		return stateChange{}, false
	}
	at, err := time.Parse(time.RFC3339, ev.Time)
	if err != nil {
		errs.add("%s: time %s: want an RFC 3339 time like 2024-03-12T14:02:10Z", src, quote(ev.Time))
		return stateChange{}, false
	}
	kind, ok := stateKinds[d.State]
	switch {
	case d.InstanceID == "":
		errs.add("%s: detail.instance-id is missing", src)
		return stateChange{}, false
	case !ok:
		errs.add("%s: detail.state %s: want pending, running, stopping, stopped, shutting-down or terminated", src, quote(d.State))
		return stateChange{}, false
	}
	return stateChange{
		ev:    Event{Time: at.UTC(), Kind: kind, Instance: d.InstanceID, Region: ev.Region, Source: src, Call: "state " + d.State},
		state: d.State,
	}, true
}

// foldStates keeps one event per transition: stopped after stopping,
// running after pending and terminated after shutting-down complete a
// change already counted. A lone second half (the first was not
// recorded) counts as the change.
func (inc *Incident) foldStates(states []stateChange) {
	slices.SortStableFunc(states, func(a, b stateChange) int { return a.ev.Time.Compare(b.ev.Time) })
	last := map[string]string{}
	for _, sc := range states {
		prev := last[sc.ev.Instance]
		last[sc.ev.Instance] = sc.state
		if first, ok := firstHalf[sc.state]; ok && prev == first {
			inc.skip("second halves of a transition", sc.state+" after "+first)
			continue
		}
		inc.Events = append(inc.Events, sc.ev)
		inc.Used++
	}
}

func truthy(raw json.RawMessage) bool {
	s := strings.Trim(strings.TrimSpace(string(raw)), `"`)
	b, err := strconv.ParseBool(s)
	return err == nil && b
}

func readOnlyName(name string) bool {
	for _, p := range []string{"Describe", "Get", "List"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// jsonProblem shortens encoding/json's errors.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "value"
		}
		return fmt.Sprintf("%s: expected %s, got JSON %s", field, te.Type, te.Value)
	}
	return err.Error()
}

// locate puts line:column on a JSON syntax error.
func locate(data []byte, start int64, err error) string {
	var se *json.SyntaxError
	off := start
	if errors.As(err, &se) && se.Offset > 0 {
		off = se.Offset - 1 // the offending byte
	} else if errors.Is(err, io.ErrUnexpectedEOF) {
		off = int64(len(data))
	}
	line, col := 1, 1
	for i := int64(0); i < off && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("line %d, column %d: invalid JSON: %v", line, col, err)
}

func skipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n", data[off]) >= 0 {
		off++
	}
	return off
}

func lineAt(data []byte, off int64) int {
	return bytes.Count(data[:min(off, int64(len(data)))], []byte("\n")) + 1
}
