package scenario

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"gameday/internal/strictyaml"
)

// RenderAddress renders the address of a tcp probe for one instance and
// checks that the result is host:port with a port from 1 to 65535. Errors
// are *strictyaml.Error values without a position.
func (p InstanceProbe) RenderAddress(f URLFields) (string, error) {
	t, _, err := parseTemplate(addressTemplate, p.Address)
	if err != nil {
		return "", err
	}
	s, err := execute(addressTemplate, t, f)
	if err != nil {
		return "", err
	}
	return checkRenderedAddress(s)
}

const addressExample = `e.g. "{{.PrivateIP}}:5432"`

func checkRenderedAddress(s string) (string, error) {
	if strings.Contains(s, "://") {
		return "", &strictyaml.Error{Msg: fmt.Sprintf("rendered address %q is a URL, not host:port", s),
			Hint: "an address has no scheme; use type: http for a URL"}
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		msg := err.Error()
		var ae *net.AddrError
		if errors.As(err, &ae) {
			msg = ae.Err
		}
		return "", &strictyaml.Error{Msg: fmt.Sprintf("rendered address %q is not host:port: %s", s, msg), Hint: addressExample}
	}
	if host == "" {
		return "", &strictyaml.Error{Msg: fmt.Sprintf("rendered address %q has no host", s), Hint: addressExample}
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", &strictyaml.Error{Msg: fmt.Sprintf("rendered address %q has port %q; expected a number from 1 to 65535", s, port)}
	}
	return s, nil
}
