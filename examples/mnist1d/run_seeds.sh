#!/usr/bin/env bash
# Runs the MNIST-1D protocol (examples/mnist1d/mnist1d.vle: 150 epochs)
# for N seeds, J at a time, and tabulates the final and best test accuracy
# per seed with the mean and standard deviation (DIR/results.csv and a
# Markdown table on stdout).
#
#   examples/mnist1d/run_seeds.sh [N=10] [DIR=runs/mnist1d] [J=2]
#
# A seed whose run finished (its summary says completed) is skipped, so an
# interrupted sweep picks up where it stopped; an interrupted run resumes
# from its last checkpoint (every 10 epochs).
set -euo pipefail
n=${1:-10}
dir=${2:-runs/mnist1d}
jobs=${3:-2}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
bin="$dir/vlec"
(cd "$root" && go build -o "$bin" ./cmd/vlec)

run_seed() {
	local s=$1 out="$dir/seed-$1"
	if grep -qs '"stopped": "completed"' "$out/mnist1d.summary.json"; then
		echo "seed $s: done"
		return
	fi
	local resume=()
	if [ -f "$out/mnist1d.checkpoint.npz" ]; then
		rm -rf "$out.interrupted"
		mv "$out" "$out.interrupted"
		resume=(--resume "$out.interrupted/mnist1d.checkpoint.npz")
	fi
	echo "seed $s: running"
	"$bin" run -q --seed "$s" -o "$out" "${resume[@]}" "$here/mnist1d.vle" > "$dir/seed-$s.log" 2>&1 || echo "seed $s: failed (see $dir/seed-$s.log)"
}

export -f run_seed
export dir here bin
seq 1 "$n" | xargs -P "$jobs" -I{} bash -c 'run_seed {}'
(cd "$root" && go run ./examples/mnist1d/results "$dir")
