package main

import (
	"fmt"
	"strconv"
	"strings"
)

// sizeFlag is a byte size such as 250MB, 1GB or 1048576.
type sizeFlag int64

func (s *sizeFlag) String() string {
	n := int64(*s)
	switch {
	case n > 0 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "GiB"
	case n > 0 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "MiB"
	}
	return strconv.FormatInt(n, 10)
}
func (s *sizeFlag) Type() string { return "size" }

func (s *sizeFlag) Set(v string) error {
	n, err := parseSize(v)
	if err != nil {
		return err
	}
	*s = sizeFlag(n)
	return nil
}

func parseSize(v string) (int64, error) {
	units := []struct {
		suffix string
		scale  int64
	}{{"GIB", 1 << 30}, {"MIB", 1 << 20}, {"KIB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}
	text := strings.ToUpper(strings.TrimSpace(v))
	scale := int64(1)
	for _, u := range units {
		if strings.HasSuffix(text, u.suffix) {
			text, scale = strings.TrimSuffix(text, u.suffix), u.scale
			break
		}
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("size %q: want a number with an optional unit such as 250MB or 1GB", v)
	}
	return int64(f * float64(scale)), nil
}
