package registry

import (
	"fmt"
	"strconv"
	"strings"
)

// MaxNameLen is the longest model name.
const MaxNameLen = 128

// MaxVersion is the largest version number a reference may name.
const MaxVersion = 1<<31 - 1

// Best is the version ParseRef gives for "name@best": the version with the lowest held-out
// loss (the metric MetricBest) among those that report one.
const Best = -1

// MetricBest is the metric "@best" minimises.
const MetricBest = "eval_loss"

// ParseRef splits a model reference, "name", "name@latest", "name@best" or "name@N" (N >= 1),
// into the name and the version, 0 meaning the latest and Best the best.
func ParseRef(ref string) (name string, version int, err error) {
	name, v, hasVersion := strings.Cut(ref, "@")
	if err := ValidName(name); err != nil {
		return "", 0, fmt.Errorf("registry: reference %q: %w", ref, err)
	}
	if !hasVersion || v == "latest" {
		return name, 0, nil
	}
	if v == "best" {
		return name, Best, nil
	}
	version, err = parseVersion(v)
	if err != nil {
		return "", 0, fmt.Errorf("registry: reference %q: %w", ref, err)
	}
	return name, version, nil
}

// Ref formats a reference to one version: "name@N", "name@latest" for version 0 or
// "name@best" for Best.
func Ref(name string, version int) string {
	switch version {
	case 0:
		return name + "@latest"
	case Best:
		return name + "@best"
	}
	return name + "@" + strconv.Itoa(version)
}

// ValidName checks that name is usable as a model name: 1 to MaxNameLen letters, digits, '-'
// and '_', starting with a letter or digit, so that it is one token of a NATS subject, a KV key
// and a file name alike.
func ValidName(name string) error {
	if name == "" {
		return fmt.Errorf("empty model name")
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("model name of %d bytes: at most %d", len(name), MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		letterOrDigit := (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
		if letterOrDigit || (i > 0 && (c == '-' || c == '_')) {
			continue
		}
		return fmt.Errorf("model name %q: byte %d (%q) is not a letter, digit, '-' or '_' (and the first must be a letter or digit)", name, i, c)
	}
	return nil
}

func parseVersion(v string) (int, error) {
	if v == "" || v[0] < '1' || v[0] > '9' {
		return 0, fmt.Errorf("version %q: want latest, best or a number from 1 without sign or leading zeros", v)
	}
	n, err := strconv.ParseUint(v, 10, 31)
	if err != nil {
		return 0, fmt.Errorf("version %q: want latest, best or a number from 1 to %d", v, MaxVersion)
	}
	return int(n), nil
}
