package ec2api

import (
	"regexp"
	"strings"
	"testing"
)

const elbVersionParam = "&Version=2015-12-01"

var elbErrorRE = regexp.MustCompile(`^<\?xml version="1.0" encoding="UTF-8"\?>\n<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><Error><Type>Sender</Type><Code>([^<]+)</Code><Message>[^<]+</Message></Error><RequestId>[0-9a-f-]{36}</RequestId></ErrorResponse>$`)

func TestELBErrorEnvelope(t *testing.T) {
	h, _ := newTestHandler(t, nil)
	tests := []struct{ name, body, code string }{
		{"unknown target group", "Action=DescribeTargetHealth" + elbVersionParam + "&TargetGroupArn=arn%3Aaws%3Aelasticloadbalancing%3Aus-east-1%3A123456789012%3Atargetgroup%2Fx%2F0123456789abcdef", "TargetGroupNotFound"},
		{"no target group", "Action=DescribeTargetHealth" + elbVersionParam, "ValidationError"},
		{"unknown name", "Action=DescribeTargetGroups" + elbVersionParam + "&Names.member.1=nope", "TargetGroupNotFound"},
		{"two selections", "Action=DescribeTargetGroups" + elbVersionParam + "&Names.member.1=db&LoadBalancerArn=x", "ValidationError"},
		{"page size", "Action=DescribeLoadBalancers" + elbVersionParam + "&PageSize=401", "ValidationError"},
		{"bad marker", "Action=DescribeLoadBalancers" + elbVersionParam + "&Marker=zz", "ValidationError"},
		{"an EC2 action at ELB's version", "Action=DescribeInstances" + elbVersionParam, "InvalidAction"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := post(h, formType, tt.body)
			if rec.Code != 400 {
				t.Errorf("status %d, want 400", rec.Code)
			}
			m := elbErrorRE.FindStringSubmatch(rec.Body.String())
			if m == nil || m[1] != tt.code {
				t.Fatalf("body is not ELB's error envelope with %s:\n%s", tt.code, rec.Body)
			}
		})
	}
}

func TestELBActionsAreRoutedByVersion(t *testing.T) {
	h, _ := newTestHandler(t, nil)
	// At EC2's version, ELB's action names are unknown EC2 actions.
	rec := post(h, formType, "Action=DescribeTargetGroups&Version=2016-11-15")
	if m := errorEnvelopeRE.FindStringSubmatch(rec.Body.String()); m == nil || m[1] != "InvalidAction" {
		t.Errorf("ELB action at EC2's version:\n%s", rec.Body)
	}
}

func TestELBResponseEnvelope(t *testing.T) {
	h, s := newTestHandler(t, nil)
	rec := post(h, formType, "Action=DescribeTargetGroups"+elbVersionParam+"&Names.member.1=storefront")
	body := rec.Body.String()
	storefront, _ := s.Service("storefront")
	for _, want := range []string{
		`<DescribeTargetGroupsResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><DescribeTargetGroupsResult><TargetGroups><member><TargetGroupArn>` + storefront.TargetGroupARN + `</TargetGroupArn><TargetGroupName>storefront</TargetGroupName>`,
		`<LoadBalancerArns><member>` + storefront.LoadBalancerARN + `</member></LoadBalancerArns>`,
		`</DescribeTargetGroupsResult><ResponseMetadata><RequestId>` + rec.Header().Get("X-Amzn-Requestid") + `</RequestId></ResponseMetadata></DescribeTargetGroupsResponse>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("response lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "NextMarker") {
		t.Errorf("a last page carries a NextMarker:\n%s", body)
	}
}

func TestELBCallsAreAuditedAndNotThrottled(t *testing.T) {
	h, s := newTestHandler(t, nil)
	limited := newRateLimits(h, s, nil)
	// More calls than any EC2 bucket holds: ELB calls take no EC2 tokens.
	for range 120 {
		rec := post(limited, formType, "Action=DescribeTargetGroups"+elbVersionParam)
		if rec.Code != 200 {
			t.Fatalf("status %d:\n%s", rec.Code, rec.Body)
		}
	}
	counts := map[string]int{}
	for _, rec := range s.Audit() {
		counts[rec.Action]++
	}
	if counts["DescribeTargetGroups"] != 120 {
		t.Errorf("audit counts %v, want 120 DescribeTargetGroups", counts)
	}
}
