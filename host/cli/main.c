/* sota: the host-side command of softap-ota. Dispatches to one file per subcommand. */
#include <stdio.h>
#include <string.h>

#include "cmds.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *synopsis;
} sota_cmd_t;

static const sota_cmd_t s_cmds[] = {
    { "image",  sota_cmd_image,  "image info|verify|make ...   inspect, verify or build ESP app images" },
    { "ptable", sota_cmd_ptable, "ptable CSV -o BIN | BIN      partition table CSV <-> binary (gen_esp32part)" },
    { "flash",  sota_cmd_flash,  "flash info FILE [--rollback] [--json]   what a flash image boots" },
    { "sim",    sota_cmd_sim,    "sim [--flash FILE] [--port N] [--chip C]  run the device on this host" },
    { "push",   sota_cmd_push,   "push [--resume] [--user U --password P] URL FILE   send an app to a device, wait until it runs" },
    { "powercut", sota_cmd_powercut, "powercut [--image FILE] [--scenario S] [--cut N --mode clean|torn]  power-cut sweep" },
};

static void usage(FILE *out)
{
    fprintf(out, "usage: sota COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof s_cmds / sizeof s_cmds[0]; i++) {
        fprintf(out, "  sota %s\n", s_cmds[i].synopsis);
    }
    fprintf(out, "\n'sota COMMAND --help' describes one command.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof s_cmds / sizeof s_cmds[0]; i++) {
        if (!strcmp(argv[1], s_cmds[i].name)) {
            return s_cmds[i].run(argc - 1, argv + 1);
        }
    }
    fprintf(stderr, "sota: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
