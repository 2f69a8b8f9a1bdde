// Command gameday rehearses mass reboots of EC2 fleets. See README.md.
package main

import (
	"os"

	"gameday/internal/cli"
)

func main() {
	os.Exit(cli.Main())
}
