/*
 * Does KVM work here?  Runs one HLT instruction in a throw-away VM, in a
 * child process with a deadline, because on a broken host KVM_RUN may
 * never return.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "vmd.h"

static int
kvm_try(void)
{
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	int kvm, vm, vcpu, size;
	uint8_t *mem;

	if ((kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC)) == -1 ||
	    ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION ||
	    (vm = ioctl(kvm, KVM_CREATE_VM, 0)) == -1)
		return 1;
	mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	mem[0] = 0xf4; /* hlt */
	memset(&region, 0, sizeof(region));
	region.guest_phys_addr = 0x1000;
	region.memory_size = 0x1000;
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) == -1 ||
	    (vcpu = ioctl(vm, KVM_CREATE_VCPU, 0)) == -1 ||
	    (size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0)) <= 0)
		return 1;
	run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu,
	    0);
	if (run == MAP_FAILED || ioctl(vcpu, KVM_GET_SREGS, &sregs) == -1)
		return 1;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0x1000;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) == -1 ||
	    ioctl(vcpu, KVM_SET_REGS, &regs) == -1 ||
	    ioctl(vcpu, KVM_RUN, 0) == -1)
		return 1;
	return run->exit_reason == KVM_EXIT_HLT ? 0 : 1;
}

int
kvm_works(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	int status, i;
	pid_t pid;

	if (access("/dev/kvm", R_OK | W_OK) == -1)
		return 0;
	if ((pid = fork()) == -1)
		return 0;
	if (pid == 0) {
		alarm(3);
		_exit(kvm_try());
	}
	for (i = 0; i < 150; i++) { /* 3 s */
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) && WEXITSTATUS(status) == 0;
		nanosleep(&ts, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return 0;
}
