// Loads a Compose file with the loader that docker compose itself uses
// (compose-spec/compose-go), for a set of profiles, and prints the services that
// are enabled, one per line. It exits non-zero with the loader's message when the
// model is invalid, e.g. an enabled service depends on one its profiles leave out.
// No Docker engine is needed; the deploy tests run it where docker is absent.
//
//	compose-config -f docker-compose.yml [--profile NAME]...
package main

import (
	"context"
	"fmt"
	"os"
	"sort"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	var files, profiles []string
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		if i+1 >= len(args) || (args[i] != "-f" && args[i] != "--profile") {
			fmt.Fprintln(os.Stderr, "usage: compose-config -f FILE [--profile NAME]...")
			os.Exit(2)
		}
		if args[i] == "-f" {
			files = append(files, args[i+1])
		} else {
			profiles = append(profiles, args[i+1])
		}
		i++
	}
	options, err := cli.NewProjectOptions(files, cli.WithOsEnv, cli.WithDotEnv, cli.WithProfiles(profiles), cli.WithConsistency(true))
	if err == nil {
		var project interface{ ServiceNames() []string }
		p, loadErr := options.LoadProject(context.Background())
		if loadErr == nil {
			project = p
			names := project.ServiceNames()
			sort.Strings(names)
			for _, name := range names {
				fmt.Println(name)
			}
			return
		}
		err = loadErr
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
