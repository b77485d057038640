/* main.c - placeholder entry point, replaced by the subcommand dispatcher. */
int main(void) { return 0; }
