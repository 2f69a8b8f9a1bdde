package ec2api

import (
	"encoding/base64"
	"encoding/xml"
	"strconv"
	"strings"
)

// ELBv2 actions served: the read-only calls a prober needs to see the
// fleet's services as a load balancer does. They are audited under these
// names.
const (
	ActionDescribeTargetGroups  = "DescribeTargetGroups"
	ActionDescribeTargetHealth  = "DescribeTargetHealth"
	ActionDescribeLoadBalancers = "DescribeLoadBalancers"
)

const (
	// elbMaxPageSize is ELB's cap on PageSize.
	elbMaxPageSize = 400
	// elbMarkerPrefix versions the opaque Marker: base64url(prefix + the
	// last name of the previous page).
	elbMarkerPrefix = "gdelb1:"
	// The messages of ELB's errors: the AWS CLI prints the first two so;
	// InvalidTarget's is the API reference's description of the error.
	elbTargetGroupNotFoundMsg  = "One or more target groups not found"
	elbLoadBalancerNotFoundMsg = "One or more load balancers not found"
	elbInvalidTargetMsg        = "The specified target does not exist, is not in the same VPC as the target group, or has an unsupported instance type."
	// A named target that is not in the group, as ELB's guide words it.
	elbTargetNotRegisteredReason = "Target.NotRegistered"
	elbTargetNotRegisteredDesc   = "Target is not registered to the target group"
)

func elbActions() map[string]actionFunc {
	return map[string]actionFunc{
		ActionDescribeTargetGroups:  (*handler).describeTargetGroups,
		ActionDescribeTargetHealth:  (*handler).describeTargetHealth,
		ActionDescribeLoadBalancers: (*handler).describeLoadBalancers,
	}
}

// elbResponse is the awsquery success envelope:
// <XResponse xmlns=...><XResult>..</XResult><ResponseMetadata>..</XResponse>.
// R names its own element (XResult) with an XMLName field.
type elbResponse[R any] struct {
	XMLName  xml.Name
	Xmlns    string `xml:"xmlns,attr"`
	Result   R
	Metadata struct {
		RequestID string `xml:"RequestId"`
	} `xml:"ResponseMetadata"`
}

func newELBResponse[R any](c *call, result R) elbResponse[R] {
	resp := elbResponse[R]{XMLName: xml.Name{Local: c.action + "Response"}, Xmlns: elbNamespace, Result: result}
	resp.Metadata.RequestID = c.requestID
	return resp
}

// ELB's client errors, all HTTP 400. ValidationError's messages follow
// AWS's "1 validation error detected" form where AWS's is not recorded.
func errTargetGroupNotFound() *apiError {
	return badRequest("TargetGroupNotFound", elbTargetGroupNotFoundMsg)
}

func errLoadBalancerNotFound() *apiError {
	return badRequest("LoadBalancerNotFound", elbLoadBalancerNotFoundMsg)
}

func errValidation(format string, args ...any) *apiError {
	return badRequest("ValidationError", format, args...)
}

// elbPage is one page of a Describe call over names in a fixed order.
type elbPage struct {
	size  int    // PageSize; 0 means all
	after string // the name the previous page ended with
}

// parseELBPage reads PageSize (1..400) and Marker.
func parseELBPage(c *call) (elbPage, *apiError) {
	var p elbPage
	if v, ok := c.form["PageSize"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || n > elbMaxPageSize {
			return p, errValidation("1 validation error detected: Value '%s' at 'pageSize' failed to satisfy constraint: Member must have value between 1 and %d", v[0], elbMaxPageSize)
		}
		p.size = n
	}
	if v := c.form.Get("Marker"); v != "" {
		raw, err := base64.RawURLEncoding.DecodeString(v)
		name, ok := strings.CutPrefix(string(raw), elbMarkerPrefix)
		if err != nil || !ok {
			// Decision: ELB's wording for a bad marker is not recorded.
			return p, errValidation("The marker '%s' is not valid", v)
		}
		p.after = name
	}
	return p, nil
}

// cut returns the page of names (in order) and the next marker, "" on the
// last page.
func (p elbPage) cut(names []string) (page []string, next string) {
	start := 0
	if p.after != "" {
		for i, name := range names {
			if name == p.after {
				start = i + 1
			}
		}
	}
	page = names[start:]
	if p.size == 0 || len(page) <= p.size {
		return page, ""
	}
	page = page[:p.size]
	return page, base64.RawURLEncoding.EncodeToString([]byte(elbMarkerPrefix + page[len(page)-1]))
}

// onlyOne refuses a call that selects by more than one of the named
// parameters (ELB accepts one way of choosing per call). Decision: the
// wording is the simulator's.
func onlyOne(c *call, params ...string) *apiError {
	var sent []string
	for _, p := range params {
		for key := range c.form {
			if key == p || strings.HasPrefix(key, p+".") {
				sent = append(sent, p)
				break
			}
		}
	}
	if len(sent) > 1 {
		return errValidation("%s cannot be specified together", strings.Join(sent, " and "))
	}
	return nil
}

// memberList reads Prefix.member.N, the awsquery form of a list.
func memberList(c *call, prefix string) ([]string, *apiError) {
	values, apiErr := parseIndexed(c.form, prefix+".member")
	if apiErr != nil {
		return nil, apiErr
	}
	for _, v := range values {
		if v == "" {
			return nil, errValidation("%s must not contain empty values", prefix)
		}
	}
	return values, nil
}
