/*
 * The wrapper over libphonenumber (lib/phonenumber.cc, built as a shared
 * object) as bytes of the program: lib/number.c loads it from memory.
 */
	.section .rodata
	.balign 64
	.globl number_so
number_so:
	.incbin NUMBER_SO
	.globl number_so_end
number_so_end:
	.section .note.GNU-stack,"",@progbits
