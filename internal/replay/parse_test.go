package replay

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// brief prints an event as "14:02:10 reboot i-1 us-east-1a" (aggregates:
// "x3" or "25%"), for comparing parses at a glance.
func brief(ev Event) string {
	at := ev.Time.Format("15:04:05")
	if ev.Time.Before(time.Unix(86400, 0)) {
		at = "+" + ev.Time.Sub(time.Unix(0, 0)).String()
	}
	parts := []string{at, string(ev.Kind)}
	if ev.Instance != "" {
		parts = append(parts, ev.Instance)
	}
	if ev.AZ != "" {
		parts = append(parts, ev.AZ)
	}
	switch {
	case ev.Count > 0:
		parts = append(parts, fmt.Sprintf("x%d", ev.Count))
	case ev.Percent > 0:
		parts = append(parts, fmt.Sprintf("%g%%", ev.Percent))
	}
	return strings.Join(parts, " ")
}

func briefs(evs []Event) []string {
	out := []string{}
	for _, ev := range evs {
		out = append(out, brief(ev))
	}
	return out
}

func ctRecordJSON(at, name string, ids []string, extra string) string {
	var items []string
	for _, id := range ids {
		items = append(items, fmt.Sprintf(`{"instanceId":%q}`, id))
	}
	return fmt.Sprintf(`{"eventVersion":"1.09","eventTime":%q,"eventSource":"ec2.amazonaws.com","eventName":%q,"awsRegion":"us-east-1",`+
		`"requestParameters":{"instancesSet":{"items":[%s]}%s},"responseElements":null,"readOnly":false}`,
		at, name, strings.Join(items, ","), extra)
}

func ebJSON(at, id, state string) string {
	return fmt.Sprintf(`{"version":"0","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","account":"123456789012",`+
		`"time":%q,"region":"us-east-1","resources":[],"detail":{"instance-id":%q,"state":%q}}`, at, id, state)
}

func TestReplayParseFormats(t *testing.T) {
	t.Parallel()
	s3 := `{"Records":[` + strings.Join([]string{
		ctRecordJSON("2024-03-12T14:02:10Z", "RebootInstances", []string{"i-1", "i-2"}, ""),
		ctRecordJSON("2024-03-12T14:03:00Z", "StopInstances", []string{"i-3"}, `,"force":true`),
		ctRecordJSON("2024-03-12T14:03:05Z", "StopInstances", []string{"i-4"}, ""),
		`{"eventTime":"2024-03-12T14:03:06Z","eventSource":"ec2.amazonaws.com","eventName":"StopInstances","errorCode":"Client.UnauthorizedOperation","requestParameters":{"instancesSet":{"items":[{"instanceId":"i-5"}]}}}`,
		`{"eventTime":"2024-03-12T14:03:07Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","readOnly":true}`,
		`{"eventTime":"2024-03-12T14:03:08Z","eventSource":"ec2.amazonaws.com","eventName":"CreateTags","readOnly":false}`,
		`{"eventTime":"2024-03-12T14:03:09Z","eventSource":"s3.amazonaws.com","eventName":"GetObject"}`,
		`{"eventTime":"2024-03-12T14:04:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","responseElements":{"instancesSet":{"items":[{"instanceId":"i-9","placement":{"availabilityZone":"us-east-1c"}}]}}}`,
		ctRecordJSON("2024-03-12T14:05:00Z", "StartInstances", []string{"i-4"}, ""),
		ctRecordJSON("2024-03-12T14:06:00Z", "TerminateInstances", []string{"i-6"}, ""),
	}, ",") + `]}`
	embedded := strings.ReplaceAll(ctRecordJSON("2024-05-02T09:15:00Z", "RebootInstances", []string{"i-7"}, ""), `"`, `\"`)
	lookup := `{"Events":[{"EventId":"e1","EventName":"RebootInstances","ReadOnly":"false","EventTime":"2024-05-02T09:15:00+00:00",` +
		`"EventSource":"ec2.amazonaws.com","CloudTrailEvent":"` + embedded + `"},` +
		`{"EventId":"e2","EventName":"StopInstances","ReadOnly":"false","EventTime":1714641360.0,"EventSource":"ec2.amazonaws.com",` +
		`"Resources":[{"ResourceType":"AWS::EC2::Instance","ResourceName":"i-8"},{"ResourceType":"AWS::EC2::SecurityGroup","ResourceName":"sg-1"}]}],"NextToken":"x"}`
	jsonLines := strings.Join([]string{
		ebJSON("2024-06-20T22:41:07Z", "i-1", "stopping"),
		ebJSON("2024-06-20T22:41:42Z", "i-1", "stopped"),
		ebJSON("2024-06-20T22:45:00Z", "i-1", "pending"),
		ebJSON("2024-06-20T22:45:14Z", "i-1", "running"),
		ebJSON("2024-06-20T22:42:00Z", "i-2", "stopped"),
		`{"detail-type":"AWS Health Event","time":"2024-06-20T22:41:30Z","detail":{}}`,
		`{"detail-type":"AWS API Call via CloudTrail","time":"2024-06-20T22:43:00Z","detail":` +
			ctRecordJSON("2024-06-20T22:43:00Z", "RebootInstances", []string{"i-3"}, "") + `}`,
	}, "\n")
	tests := []struct {
		name    string
		input   string
		format  Format
		formats []Format
		events  []string
		skipped map[Skip]int
		hints   map[string]string
	}{
		{
			name: "cloudtrail S3 log file", input: s3, format: FormatAuto, formats: []Format{FormatCloudTrail},
			events: []string{
				"14:02:10 reboot i-1", "14:02:10 reboot i-2", "14:03:00 force-stop i-3", "14:03:05 stop i-4",
				"14:05:00 start i-4", "14:06:00 terminate i-6",
			},
			skipped: map[Skip]int{
				{"failed calls", "StopInstances Client.UnauthorizedOperation"}: 1, {"read-only calls", "DescribeInstances"}: 1,
				{"other EC2 calls", "CreateTags"}: 1, {"other services", "s3.amazonaws.com GetObject"}: 1, {"other EC2 calls", "RunInstances"}: 1,
			},
			hints: map[string]string{"i-9": "us-east-1c"},
		},
		{
			name: "one cloudtrail record", input: ctRecordJSON("2024-03-12T14:02:10Z", "RebootInstances", []string{"i-1"}, ""),
			format: FormatAuto, formats: []Format{FormatCloudTrail}, events: []string{"14:02:10 reboot i-1"},
		},
		{
			name:   "array of cloudtrail records, forced",
			input:  "[" + ctRecordJSON("2024-03-12T14:02:10Z", "StopInstances", []string{"i-1"}, "") + "]",
			format: FormatCloudTrail, formats: []Format{FormatCloudTrail}, events: []string{"14:02:10 stop i-1"},
		},
		{
			name: "lookup-events with and without CloudTrailEvent", input: lookup, format: FormatAuto,
			formats: []Format{FormatLookupEvents}, events: []string{"09:15:00 reboot i-7", "09:16:00 stop i-8"},
		},
		{
			name: "eventbridge JSON lines", input: jsonLines, format: FormatAuto, formats: []Format{FormatEventBridge},
			events: []string{"22:41:07 stop i-1", "22:42:00 stop i-2", "22:43:00 reboot i-3", "22:45:00 start i-1"},
			skipped: map[Skip]int{
				{"second halves of a transition", "stopped after stopping"}: 1, {"second halves of a transition", "running after pending"}: 1,
				{"other event types", "AWS Health Event"}: 1,
			},
		},
		{
			name: "eventbridge single event", input: ebJSON("2024-06-20T22:41:07Z", "i-1", "shutting-down"), format: FormatAuto,
			formats: []Format{FormatEventBridge}, events: []string{"22:41:07 terminate i-1"},
		},
		{
			name: "eventbridge array", input: "[" + ebJSON("2024-06-20T22:41:07Z", "i-1", "shutting-down") + "," +
				ebJSON("2024-06-20T22:41:40Z", "i-1", "terminated") + "]", format: FormatAuto,
			formats: []Format{FormatEventBridge}, events: []string{"22:41:07 terminate i-1"},
			skipped: map[Skip]int{{"second halves of a transition", "terminated after shutting-down"}: 1},
		},
		{
			name: "csv with instants, zones, instances and unknown zones",
			input: "# a comment\nTime,Target,Event,Count,Percent,AZ,Note\n" +
				"2024-08-07T03:10:00Z,us-east-1a,impaired,3,,,hosts lost\n" +
				"2024-08-07 03:11:00Z,i-0123456789abcdef0,stop,,,us-east-1b,\"drain, then stop\"\n" +
				"\n" +
				"2024-08-07T03:12:00+00:00,us-east-1b,reboot,,25%,,\n" +
				"2024-08-07T03:13:00Z,*,REBOOT,2,,,\n",
			format: FormatAuto, formats: []Format{FormatCSV},
			events: []string{
				"03:10:00 impaired us-east-1a x3", "03:11:00 stop i-0123456789abcdef0 us-east-1b",
				"03:12:00 reboot us-east-1b 25%", "03:13:00 reboot x2",
			},
			hints: map[string]string{"i-0123456789abcdef0": "us-east-1b"},
		},
		{
			name:   "csv with offsets, out of order",
			input:  "time,target,event,count\n+5m,us-east-1a,start,2\n0,us-east-1a,stop,2\nT+90s,i-01234567,reboot,\n",
			format: FormatAuto, formats: []Format{FormatCSV},
			events: []string{"+0s stop us-east-1a x2", "+1m30s reboot i-01234567", "+5m0s start us-east-1a x2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inc, err := Parse("in", []byte(tt.input), tt.format)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(inc.Formats, tt.formats) {
				t.Errorf("formats: got %v, want %v", inc.Formats, tt.formats)
			}
			if got := briefs(inc.Events); !slices.Equal(got, tt.events) {
				t.Errorf("events:\n got %q\nwant %q", got, tt.events)
			}
			if tt.skipped == nil {
				tt.skipped = map[Skip]int{}
			}
			if fmt.Sprint(inc.Skipped) != fmt.Sprint(tt.skipped) {
				t.Errorf("skipped: got %v, want %v", inc.Skipped, tt.skipped)
			}
			for id, az := range tt.hints {
				if inc.AZHints[id] != az {
					t.Errorf("zone hint of %s: got %q, want %q", id, inc.AZHints[id], az)
				}
			}
			if inc.Used+inc.SkippedTotal() != inc.Records {
				t.Errorf("used %d + skipped %d != records %d", inc.Used, inc.SkippedTotal(), inc.Records)
			}
		})
	}
}

func TestReplayParseGzip(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprintf(zw, `{"Records":[%s]}`, ctRecordJSON("2024-03-12T14:02:10Z", "RebootInstances", []string{"i-1"}, ""))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	inc, err := Parse("x.json.gz", buf.Bytes(), FormatAuto)
	if err != nil {
		t.Fatal(err)
	}
	if got := briefs(inc.Events); !slices.Equal(got, []string{"14:02:10 reboot i-1"}) {
		t.Errorf("got %q", got)
	}
}

// TestParseErrors checks that every problem names its file and line (CSV,
// JSON lines) or record (JSON).
func TestReplayParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, input string
		format      Format
		want        []string
	}{
		{"empty", "  \n", FormatAuto, []string{"f: empty file"}},
		{"unknown format", "{}", Format("xml"), []string{`unknown format "xml"`}},
		{"JSON syntax", "{\"Records\": [\n  {\"eventName\": }\n]}", FormatAuto, []string{"f: line 2, column 17: invalid JSON"}},
		{"truncated JSON", `{"Records": [`, FormatAuto, []string{"f: line 1", "invalid JSON"}},
		{"bad eventTime", `{"Records":[` + ctRecordJSON("2024-03-12T14:02:10Z", "RebootInstances", []string{"i-1"}, "") + `,` +
			ctRecordJSON("yesterday", "RebootInstances", []string{"i-1"}, "") + `]}`, FormatAuto,
			[]string{`f: Records[1]: RebootInstances: eventTime "yesterday"`}},
		{"wrong type", `{"Records":[{"eventName":"StopInstances","eventTime":"2024-03-12T14:02:10Z","eventSource":"ec2.amazonaws.com","requestParameters":{"instancesSet":{"items":"i-1"}}}]}`,
			FormatAuto, []string{"f: Records[0]: StopInstances: requestParameters: instancesSet.items: expected"}},
		{"lookup CloudTrailEvent not JSON", `{"Events":[{"EventName":"StopInstances","CloudTrailEvent":"{nope"}]}`, FormatAuto,
			[]string{"f: Events[0]: StopInstances: CloudTrailEvent is not a JSON CloudTrail record"}},
		{"eventbridge bad state on line 2", ebJSON("2024-06-20T22:41:07Z", "i-1", "stopping") + "\n" +
			ebJSON("2024-06-20T22:41:08Z", "i-1", "asleep"), FormatAuto, []string{`f:2: detail.state "asleep"`}},
		{"eventbridge broken line 3", ebJSON("2024-06-20T22:41:07Z", "i-1", "stopping") + "\n\n{\"detail-type\": oops}\n", FormatAuto,
			[]string{"f: line 3, column 17: invalid JSON"}},
		{"no records", `{"hello": "world"}`, FormatAuto, []string{"f: no CloudTrail, lookup-events or EventBridge records found"}},
		{"csv missing column", "time,instance\n2024-08-07T03:10:00Z,i-01234567\n", FormatAuto, []string{"f:1: header", "missing column event"}},
		{"csv several bad rows", "time,target,event,count\n" +
			"2024-08-07T03:10:00Z,i-01234567,reboot,\n" +
			"2024-08-07T03:11:00,i-01234567,reboot,\n" +
			"2024-08-07T03:12:00Z,web-01,reboot,\n" +
			"2024-08-07T03:13:00Z,us-east-1a,explode,1\n" +
			"2024-08-07T03:14:00Z,us-east-1a,reboot,\n" +
			"2024-08-07T03:15:00Z,i-01234567,reboot,3\n" +
			"2024-08-07T03:16:00Z,us-east-1a,reboot,0\n" +
			"+5m,us-east-1a,reboot,1\n", FormatAuto, []string{
			"f:3: time \"2024-08-07T03:11:00\" has no zone",
			"f:4: target \"web-01\"",
			"f:5: event \"explode\"",
			"f:6: target us-east-1a is a zone: say how many",
			"f:7: target i-01234567 is one instance",
			"f:8: count \"0\"",
			"f:9: time \"+5m\": every row must give an instant",
		}},
		{"csv percent out of range", "time,target,event,percent\n0s,us-east-1a,reboot,150%\n", FormatCSV, []string{`f:2: percent "150%"`}},
		{"csv bad quote", "time,target,event\n0s,\"us-east-1a,reboot\n", FormatCSV, []string{"f:2:"}},
		{"csv header only", "time,target,event\n", FormatCSV, []string{"f: no rows after the header"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("f", []byte(tt.input), tt.format)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not contain %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestReplayParseInventory(t *testing.T) {
	t.Parallel()
	page := `{"Reservations":[{"Instances":[{"InstanceId":"i-1","Placement":{"AvailabilityZone":"us-east-1a"},"Tags":[{"Key":"app","Value":"web"}]},` +
		`{"InstanceId":"i-2","Placement":{"AvailabilityZone":"us-east-1b"}}]}]}`
	tests := []struct {
		name, input string
		want        map[string]string // id -> zone
		err         string
	}{
		{"describe-instances", page, map[string]string{"i-1": "us-east-1a", "i-2": "us-east-1b"}, ""},
		{"two pages", page + "\n" + `{"Reservations":[{"Instances":[{"InstanceId":"i-3","Placement":{"AvailabilityZone":"us-east-1c"}}]}]}`,
			map[string]string{"i-1": "us-east-1a", "i-2": "us-east-1b", "i-3": "us-east-1c"}, ""},
		{"flat list", `[{"InstanceId":"i-1","Placement":{"AvailabilityZone":"us-east-1a"}}]`, map[string]string{"i-1": "us-east-1a"}, ""},
		{"list of lists", `[[{"InstanceId":"i-1","Placement":{"AvailabilityZone":"us-east-1a"}}]]`, map[string]string{"i-1": "us-east-1a"}, ""},
		{"not describe-instances", `{"Events":[]}`, nil, "no Reservations"},
		{"bad zone", `[{"InstanceId":"i-1","Placement":{"AvailabilityZone":"use1-az1"}}]`, nil, `"use1-az1" is not a zone name`},
		{"broken", `{"Reservations": [`, nil, "invalid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			inv, err := ParseInventory("inv.json", []byte(tt.input))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("got %v, want an error with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for id, o := range inv {
				got[id] = o.AZ
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
