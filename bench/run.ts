// The performance benchmark is not written yet: this script says so rather than print made-up figures.
process.stdout.write('resetbridge bench: no benchmarks are implemented yet.\n');
