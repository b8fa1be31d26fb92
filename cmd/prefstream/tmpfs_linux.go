package main

import "golang.org/x/sys/unix"

// onTmpfs reports whether dir is on a tmpfs, whose files take RAM.
func onTmpfs(dir string) bool {
	var st unix.Statfs_t
	return unix.Statfs(dir, &st) == nil && st.Type == unix.TMPFS_MAGIC
}
