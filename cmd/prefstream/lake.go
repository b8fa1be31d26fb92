package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/prefstream/prefstream/internal/lake"
)

func newLakeCmd(*globals) *cobra.Command {
	cmd := &cobra.Command{Use: "lake", Short: "Look at the Parquet lake"}
	var format string
	var limit int
	cat := &cobra.Command{
		Use:   "cat PATH",
		Short: "Print the rows of a Parquet file, a partition, a dataset or a whole lake",
		Example: `  prefstream lake cat ./lake/pairs --limit 3
  prefstream lake cat ./lake/pairs/source=stackexchange --format jsonl | jq .margin`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "jsonl" && format != "table" {
				return fmt.Errorf("--format %q: want jsonl or table", format)
			}
			return lake.Cat(cmd.OutOrStdout(), args[0], format, limit)
		},
	}
	cat.Flags().StringVar(&format, "format", "table", "output format: table or jsonl")
	cat.Flags().IntVar(&limit, "limit", 10, "rows to print (0: all)")
	stats := &cobra.Command{
		Use:   "stats DIR",
		Short: "Files, rows, bytes and stream sequences of every partition of a lake",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := lake.Stats(args[0])
			if err != nil {
				return err
			}
			lake.PrintStats(cmd.OutOrStdout(), st)
			return nil
		},
	}
	cmd.AddCommand(cat, stats)
	return cmd
}
