//go:build !linux

package main

// onTmpfs reports whether dir is on a tmpfs; only Linux is asked.
func onTmpfs(string) bool { return false }
