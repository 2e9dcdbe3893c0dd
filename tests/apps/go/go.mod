module obitestapp

go 1.19
