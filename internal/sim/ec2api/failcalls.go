package ec2api

import (
	"net/http"
	"sync"

	"gameday/internal/sim"
)

// callFailures answers the fleet file's api.fail entries: the n-th real
// call of an action fails with the entry's code, without acting.
type callFailures struct {
	fail  []sim.CallFailure
	mu    sync.Mutex
	calls map[string]int // real calls per action that passed the permission check
}

func newCallFailures(fail []sim.CallFailure) *callFailures {
	return &callFailures{fail: fail, calls: map[string]int{}}
}

// next counts one real call of action and returns the error it must
// answer, or nil to serve it.
func (f *callFailures) next(action string) *apiError {
	if len(f.fail) == 0 {
		return nil
	}
	f.mu.Lock()
	f.calls[action]++
	n := f.calls[action]
	f.mu.Unlock()
	for _, fail := range f.fail {
		if fail.Action == action && fail.Call == n {
			return injectedFailure(fail.Code)
		}
	}
	return nil
}

// injectedFailure is the answer EC2 gives with code.
func injectedFailure(code string) *apiError {
	switch code {
	case "UnauthorizedOperation":
		return errUnauthorized()
	case "InsufficientInstanceCapacity":
		return &apiError{Status: http.StatusInternalServerError, Code: code,
			Message: "We currently do not have sufficient capacity in the Availability Zone you requested."}
	}
	return &apiError{Status: http.StatusInternalServerError, Code: "InternalError", Message: "An internal error has occurred"}
}
