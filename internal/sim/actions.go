package sim

import "slices"

// EC2 actions the simulator's API serves, as audit records and the fleet
// file's api.deny name them.
const (
	ActionDescribeInstances         = "DescribeInstances"
	ActionDescribeInstanceStatus    = "DescribeInstanceStatus"
	ActionDescribeAvailabilityZones = "DescribeAvailabilityZones"
	ActionRebootInstances           = "RebootInstances"
	ActionStopInstances             = "StopInstances"
	ActionStartInstances            = "StartInstances"
	ActionCreateTags                = "CreateTags"
	ActionDeleteTags                = "DeleteTags"
)

// DeniableActions lists the EC2 actions a fleet file may deny; internal/
// sim/ec2api serves each of them.
func DeniableActions() []string {
	return []string{
		ActionDescribeInstances, ActionDescribeInstanceStatus, ActionDescribeAvailabilityZones,
		ActionRebootInstances, ActionStopInstances, ActionStartInstances,
		ActionCreateTags, ActionDeleteTags,
	}
}

func isDeniable(action string) bool { return slices.Contains(DeniableActions(), action) }
