package sim

import (
	"encoding/binary"
	"hash/fnv"
	"math/rand/v2"
	"time"
)

// transitionRNG is the generator of one transition of one instance. Its
// draws depend only on (seed, instance id, transition number, kind), never
// on the order in which instances change or on other instances, so a seed
// replays every timing of a run.
func transitionRNG(seed uint64, id string, cycle int, kind string) *rand.Rand {
	h := fnv.New64a()
	_, _ = h.Write([]byte(id))
	_, _ = h.Write([]byte(kind))
	_, _ = h.Write(binary.BigEndian.AppendUint64(nil, uint64(cycle)))
	return rand.New(rand.NewPCG(seed, h.Sum64()))
}

// Every plan draws all its values, in a fixed order, whatever the settings:
// turning one setting off must not change the draws of the others.

// rebootPlan is how one reboot goes.
type rebootPlan struct {
	down, starting time.Duration
	hard           bool          // the OS did not shut down cleanly
	hardDelay      time.Duration // how much later EC2 forced the reboot
	broken         bool
}

// downtime is how long the host stays unreachable.
func (p rebootPlan) downtime() time.Duration {
	if p.hard {
		return p.down + p.hardDelay
	}
	return p.down
}

func planReboot(seed uint64, id string, cycle int, boot BootSpec) rebootPlan {
	rng := transitionRNG(seed, id, cycle, OpReboot)
	p := rebootPlan{down: boot.Down.draw(rng), starting: boot.Starting.draw(rng)}
	p.hard = rng.Float64() < boot.HardRebootProbability
	p.hardDelay = boot.HardRebootDelay.draw(rng)
	p.broken = rng.Float64() < boot.BrokenProbability
	return p
}

// startPlan is how one start goes.
type startPlan struct {
	pending, starting time.Duration
	broken            bool
}

func planStart(seed uint64, id string, cycle int, boot BootSpec) startPlan {
	rng := transitionRNG(seed, id, cycle, OpStart)
	p := startPlan{pending: boot.Pending.draw(rng), starting: boot.Starting.draw(rng)}
	p.broken = rng.Float64() < boot.BrokenProbability
	return p
}

// planStop is how long one stop keeps the instance stopping. A forced stop
// skips the clean OS shutdown and takes the shortest stop there is.
func planStop(seed uint64, id string, cycle int, boot BootSpec, force bool) time.Duration {
	d := boot.Stopping.draw(transitionRNG(seed, id, cycle, OpStop))
	if force {
		return boot.Stopping.Min
	}
	return d
}
