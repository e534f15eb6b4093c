// Placeholder host entry point; the command line and worker are wired in the host's own commit.
return 0;
