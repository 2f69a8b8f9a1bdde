package sim

import (
	"errors"
	"fmt"
	"strings"
)

// ErrClosed is returned by operations on a closed simulator.
var ErrClosed = errors.New("sim: simulator is closed")

// NotFoundError names the ids of a call that match no instance; the call
// changed nothing.
type NotFoundError struct{ IDs []string }

func (e *NotFoundError) Error() string {
	return "sim: unknown instances " + strings.Join(e.IDs, ", ")
}

// Operations a StateError names.
const (
	OpReboot = "reboot"
	OpStop   = "stop"
	OpStart  = "start"
)

// StateError is EC2's IncorrectInstanceState: an instance is not in a state
// the operation accepts. The call changed nothing.
type StateError struct {
	Op    string // OpReboot, OpStop or OpStart
	ID    string
	State string // the instance's state when asked
}

func (e *StateError) Error() string {
	return fmt.Sprintf("sim: cannot %s %s: it is %s", e.Op, e.ID, e.State)
}

// TagLimitError is EC2's TagLimitExceeded: a tag change would leave an
// instance with more than MaxTags tags. The call changed nothing.
type TagLimitError struct{ ID string }

func (e *TagLimitError) Error() string {
	return fmt.Sprintf("sim: %s would have more than %d tags", e.ID, MaxTags)
}
