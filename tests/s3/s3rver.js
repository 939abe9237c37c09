// Starts @20minutes/s3rver with its own command-line options (the package ships no bin file).
require('@20minutes/s3rver/lib/cli').parseAsync(process.argv);
