package synth

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// sevenZip packs DIR/<site>/{Posts,Votes}.xml into DIR/<site>.7z with the
// files at the archive root, as the real per-site archives have them.
func sevenZip(dir, site string) (string, error) {
	archive, err := filepath.Abs(filepath.Join(dir, site+".7z"))
	if err != nil {
		return "", fmt.Errorf("synth: %w", err)
	}
	if err := os.Remove(archive); err != nil && !os.IsNotExist(err) {
		return "", fmt.Errorf("synth: %w", err) // 7z a would append to it
	}
	cmd := exec.Command("7z", "a", "-mx=1", "-bd", "-y", archive, "Posts.xml", "Votes.xml")
	cmd.Dir = filepath.Join(dir, site)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("synth: 7z a %s: %w: %s", archive, err, bytes.TrimSpace(out.Bytes()))
	}
	return archive, nil
}
