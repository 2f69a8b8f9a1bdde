package replay

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Original is what is known of one instance of the original fleet.
type Original struct {
	AZ   string
	Tags map[string]string
}

// Inventory is the original fleet, by instance id, as `aws ec2
// describe-instances` printed it.
type Inventory map[string]Original

type describedInstance struct {
	InstanceID string `json:"InstanceId"`
	Placement  struct {
		AvailabilityZone string `json:"AvailabilityZone"`
	} `json:"Placement"`
	Tags []struct {
		Key   string `json:"Key"`
		Value string `json:"Value"`
	} `json:"Tags"`
}

// ParseInventory reads the JSON output of `aws ec2 describe-instances`
// ({"Reservations": [{"Instances": [...]}]}, several pages concatenated
// included), or a plain array of instances (--query
// 'Reservations[].Instances[]').
func ParseInventory(name string, data []byte) (Inventory, error) {
	inv := Inventory{}
	dec := json.NewDecoder(bytes.NewReader(data))
	for page := 1; dec.More(); page++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%s: %v", name, locate(data, dec.InputOffset(), err))
		}
		var instances []describedInstance
		raw = bytes.TrimSpace(raw)
		if len(raw) > 0 && raw[0] == '[' {
			// A flat list, or a list of lists (--query 'Reservations[*].Instances').
			var nested [][]describedInstance
			if err := json.Unmarshal(raw, &nested); err == nil {
				for _, n := range nested {
					instances = append(instances, n...)
				}
			} else if err := json.Unmarshal(raw, &instances); err != nil {
				return nil, fmt.Errorf("%s: value %d: not a list of instances: %s", name, page, jsonProblem(err))
			}
		} else {
			var doc struct {
				Reservations *[]struct {
					Instances []describedInstance `json:"Instances"`
				} `json:"Reservations"`
			}
			if err := json.Unmarshal(raw, &doc); err != nil {
				return nil, fmt.Errorf("%s: value %d: %s", name, page, jsonProblem(err))
			}
			if doc.Reservations == nil {
				return nil, fmt.Errorf("%s: value %d: no Reservations: want the output of aws ec2 describe-instances", name, page)
			}
			for _, r := range *doc.Reservations {
				instances = append(instances, r.Instances...)
			}
		}
		for i, in := range instances {
			if in.InstanceID == "" {
				return nil, fmt.Errorf("%s: value %d: instance %d has no InstanceId", name, page, i)
			}
			o := Original{AZ: in.Placement.AvailabilityZone, Tags: map[string]string{}}
			if o.AZ != "" && RegionOf(o.AZ) == "" {
				return nil, fmt.Errorf("%s: %s: AvailabilityZone %q is not a zone name", name, in.InstanceID, o.AZ)
			}
			for _, t := range in.Tags {
				o.Tags[t.Key] = t.Value
			}
			inv[in.InstanceID] = o
		}
	}
	if len(inv) == 0 {
		return nil, fmt.Errorf("%s: no instances", name)
	}
	return inv, nil
}

// ZoneSizes counts the inventory per zone, optionally per value of a tag:
// the original fleet a percent blast radius is a share of.
func (inv Inventory) ZoneSizes(groupBy string) map[ZoneGroup]int {
	out := map[ZoneGroup]int{}
	for _, o := range inv {
		g := ""
		if groupBy != "" {
			g = o.Tags[groupBy]
		}
		out[ZoneGroup{o.AZ, g}]++
		out[ZoneGroup{"", g}]++ // the whole fleet, for instances of unknown zones
	}
	return out
}

// ZoneGroup is a zone ("" for the whole fleet) and a value of the
// --group-by-tag tag ("" without one).
type ZoneGroup struct{ AZ, Group string }
