package ec2api

import (
	"crypto/sha256"
	"encoding/xml"
	"strings"
)

// stsUserName is the IAM user the simulator claims callers are.
const stsUserName = "gameday-sim"

type getCallerIdentityResponse struct {
	XMLName xml.Name `xml:"GetCallerIdentityResponse"`
	Xmlns   string   `xml:"xmlns,attr"`
	Result  struct {
		Arn     string `xml:"Arn"`
		UserID  string `xml:"UserId"`
		Account string `xml:"Account"`
	} `xml:"GetCallerIdentityResult"`
	Metadata struct {
		RequestID string `xml:"RequestId"`
	} `xml:"ResponseMetadata"`
}

// getCallerIdentity answers STS GetCallerIdentity with the fleet's account,
// so account allow-lists can be exercised against the simulator.
func (h *handler) getCallerIdentity(c *call) (any, *apiError) {
	account := h.sim.AccountID()
	var resp getCallerIdentityResponse
	resp.Xmlns = stsNamespace
	resp.Result.Arn = "arn:aws:iam::" + account + ":user/" + stsUserName
	resp.Result.UserID = userID(account)
	resp.Result.Account = account
	resp.Metadata.RequestID = c.requestID
	return resp, nil
}

// userID derives a stable IAM user id (AIDA + 17 of [A-Z0-9]) from the
// account, so repeated calls agree.
func userID(account string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	sum := sha256.Sum256([]byte(account + "/" + stsUserName))
	var b strings.Builder
	b.WriteString("AIDA")
	for _, x := range sum[:17] {
		b.WriteByte(alphabet[x%32])
	}
	return b.String()
}
