package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/prefstream/prefstream/internal/registry"
)

func newModelsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "models",
		Short: "List model checkpoints in the registry, and move them to and from files",
		Long: `The model registry keeps every checkpoint a trainer publishes: its bytes in the JetStream Object
Store bucket "models" (as <name>/<version>) and its entry (kind, config, tokenizer version,
parent, metrics, sha256, size) in the KV bucket "registry", with the newest version of each
model as its latest. A reference is NAME (the latest), NAME@latest or NAME@VERSION.

A model file holds one version: a "` + registry.Magic + `" line, the entry as one JSON line,
then the blob. Import checks the blob against the entry's size and sha256.`,
	}
	cmd.AddCommand(newModelsListCmd(g), newModelsExportCmd(g), newModelsImportCmd(g))
	return cmd
}

// openRegistry connects and opens the registry; close ends both.
func (g *globals) openRegistry(ctx context.Context) (reg *registry.Registry, close func(), err error) {
	b, err := g.connect(ctx, "models")
	if err != nil {
		return nil, nil, err
	}
	reg, err = registry.Open(ctx, b.JS, b.Replicas)
	if err != nil {
		b.Close()
		return nil, nil, err
	}
	return reg, func() { b.Close() }, nil
}

func newModelsListCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List every version of every model: name, version, kind, size, sha256, created, metrics",
		Example: `  prefstream models list
  prefstream --nats nats://127.0.0.1:4222 models list --json | jq -r '.[] | select(.kind == "pm") | .name'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			reg, done, err := g.openRegistry(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			entries, err := reg.List(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(append([]registry.Entry{}, entries...))
			}
			return printModels(cmd.OutOrStdout(), entries)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the entries as a JSON array")
	return cmd
}

// printModels writes the table of models list.
func printModels(w io.Writer, entries []registry.Entry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tVERSION\tKIND\tSIZE\tSHA256\tCREATED\tMETRICS")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", e.Name, e.Version, orDash(e.Kind), humanBytes(e.Size),
			e.SHA256[:min(12, len(e.SHA256))], e.Created.UTC().Format(time.DateTime), metricsSummary(e.Metrics))
	}
	return tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// metricsSummary lists the metrics as key=value in key order, at most four.
func metricsSummary(m map[string]float64) string {
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if len(parts) == 4 {
			parts = append(parts, fmt.Sprintf("(+%d)", len(m)-4))
			break
		}
		parts = append(parts, fmt.Sprintf("%s=%.4g", k, m[k]))
	}
	return strings.Join(parts, " ")
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func newModelsExportCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "export NAME[@VERSION] FILE",
		Short: "Write one version of a model, entry and blob, to a model file",
		Long: `Export writes one version of a model to FILE (- for standard output): the entry and the blob,
checked against the entry's sha256 as it streams. The file appears only when complete; a
corrupt blob in the Object Store fails with a sha256 mismatch and leaves no file.`,
		Example: `  prefstream models export pm-pmp@3 pm-pmp-3.model
  prefstream --nats nats://127.0.0.1:4222 models export policy policy-latest.model`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, file := args[0], args[1]
			if _, _, err := registry.ParseRef(ref); err != nil {
				return err
			}
			reg, done, err := g.openRegistry(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			var e registry.Entry
			if file == "-" {
				e, err = reg.Export(cmd.Context(), ref, cmd.OutOrStdout())
			} else {
				e, err = reg.ExportFile(cmd.Context(), ref, file)
			}
			if err != nil {
				return err
			}
			g.log.Info("exported", zap.String("model", e.Ref()), zap.Int64("bytes", e.Size), zap.String("sha256", e.SHA256), zap.String("file", file))
			return nil
		},
	}
}

func newModelsImportCmd(g *globals) *cobra.Command {
	var as string
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Publish a model file into the registry under its name and version",
		Long: `Import publishes the model file FILE under the name and version it records (or under --as
NAME, keeping the version). The blob is checked against the entry's size and sha256 before
the version becomes visible. Importing the same file twice is harmless; a version already
holding a different blob is refused. The version becomes the latest unless a newer one is.`,
		Example: `  prefstream models import pm-pmp-3.model
  prefstream models import pm-pmp-3.model --as pm-pmp-baseline`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if as != "" {
				if err := registry.ValidName(as); err != nil {
					return fmt.Errorf("--as: %w", err)
				}
			}
			reg, done, err := g.openRegistry(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			e, err := reg.ImportFile(cmd.Context(), args[0], as)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\t%s\n", e.Ref(), humanBytes(e.Size), e.SHA256)
			return nil
		},
	}
	cmd.Flags().StringVar(&as, "as", "", "import under this model name instead of the file's")
	return cmd
}
