package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/prefstream/prefstream/internal/lake"
	"github.com/prefstream/prefstream/internal/synth"
)

func newDemoCmd(g *globals) *cobra.Command {
	var dir string
	var questions int
	var rf recipeFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole system on a generated sample site, on the embedded server",
		Long: `Generates a sample Stack Exchange site, runs the pipeline (ingest, featurize, Parquet sink) on
an embedded JetStream server, and shows where the Parquet went and a few pairs. Everything
lives under --dir, which the demo empties first.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			if err := os.RemoveAll(dir); err != nil {
				return err
			}
			dumps, lakeDir := filepath.Join(dir, "dumps"), filepath.Join(dir, "lake")
			o := synth.DefaultOptions()
			o.Questions = questions
			fmt.Fprintf(out, "== 1. generating a sample site of %d questions in %s\n", questions, dumps)
			st, err := synth.StackExchange(dumps, o)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "   %d questions, %d answers, %d votes\n", st.Questions, st.Answers, st.Votes)

			fmt.Fprintf(out, "== 2. pipeline: ingest -> JetStream -> featurize -> Parquet lake (embedded server in %s)\n", filepath.Join(dir, "data"))
			g.bus.URL, g.bus.DataDir = "", filepath.Join(dir, "data")
			recipes, err := rf.recipes()
			if err != nil {
				return err
			}
			site := filepath.Join(dumps, o.Site)
			sum, err := runPipeline(cmd.Context(), g, []input{{"stackexchange", site}}, pipelineOptions{lake: lakeDir, recipes: recipes, workers: 2})
			if err != nil {
				return err
			}
			printSummary(out, sum)

			fmt.Fprintf(out, "\n== 3. the lake (%s)\n", lakeDir)
			stats, err := lake.Stats(lakeDir)
			if err != nil {
				return err
			}
			lake.PrintStats(out, stats)
			fmt.Fprintln(out, "\n== 4. a few pairs")
			if err := lake.Cat(out, filepath.Join(lakeDir, "pairs"), "table", 3); err != nil {
				return err
			}
			fmt.Fprintf(out, "\nMore: prefstream lake cat %s --format jsonl --limit 0\n", filepath.Join(lakeDir, "pairs"))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "./prefstream-demo", "working directory of the demo (emptied first)")
	cmd.Flags().IntVar(&questions, "questions", 2000, "questions in the generated site")
	rf.register(cmd)
	return cmd
}
